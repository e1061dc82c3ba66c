"""The second wall: PostgreSQL itself keeps tenants apart, whatever the application asks."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from db.models import Alliance, ApiToken, AuditEntry, Event, Membership, User
from db.session import APP_ROLE, create_engine, make_sessionmaker, tenant_session
from db.tables import TENANT_TABLES
from tests.builders import World


async def test_every_tenant_table_forces_rls_with_a_policy(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                text(
                    """
                    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                           (SELECT count(*) FROM pg_policy p
                             WHERE p.polrelid = c.oid
                               AND (SELECT oid FROM pg_roles WHERE rolname = :role)
                                   = ANY (p.polroles)) AS app_policies
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = 'public' AND c.relkind = 'r'
                      AND c.relname <> 'alembic_version'
                    """
                ),
                {"role": APP_ROLE},
            )
        ).all()
    tables = {row.relname: row for row in rows}
    assert set(tables) == set(TENANT_TABLES), "a new table must be listed in TENANT_TABLES"
    for name, row in tables.items():
        assert row.relrowsecurity, f"{name}: RLS not enabled"
        assert row.relforcerowsecurity, f"{name}: RLS not forced"
        assert row.app_policies > 0, f"{name}: no policy for {APP_ROLE}"


async def test_app_role_is_neither_superuser_nor_owner_nor_bypassing(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        role = (
            await connection.execute(
                text("SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = :r"),
                {"r": APP_ROLE},
            )
        ).one()
        owned = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
                "WHERE r.rolname = :r"
            ),
            {"r": APP_ROLE},
        )
    assert (role.rolsuper, role.rolbypassrls) == (False, False)
    assert owned == 0


async def test_tenant_transactions_run_as_the_app_role(engine: AsyncEngine, world: World) -> None:
    org = await world.organisation()
    async with tenant_session(world.sessions, org.id) as session:
        user, setting = (
            await session.execute(
                text("SELECT current_user, current_setting('portal.organisation_id')")
            )
        ).one()
    assert (user, setting) == (APP_ROLE, str(org.id))


async def test_query_skipping_the_application_filter_sees_only_own_rows(world: World) -> None:
    alpha, beta, gamma = [await world.organisation(s) for s in ("alpha", "beta", "gamma")]
    shared = await world.alliance(alpha, beta, name="Shared")
    private = await world.alliance(gamma, name="Gamma only")
    await world.token(gamma)

    # No policy filter at all: only RLS stands between beta and gamma's data.
    async with tenant_session(world.sessions, beta.id) as session:
        alliances = set(await session.scalars(select(Alliance.id)))
        members = {m.organisation_id for m in await session.scalars(select(Membership))}
        users = {u.organisation_id for u in await session.scalars(select(User))}
        tokens = list(await session.scalars(select(ApiToken)))
        events = {e.alliance_id for e in await session.scalars(select(Event))}
        audits = {a.organisation_id for a in await session.scalars(select(AuditEntry))}
    assert alliances == {shared}
    assert private not in alliances
    assert members == {alpha.id, beta.id}
    assert users == {beta.id}
    assert tokens == []
    assert events <= {shared, None}
    assert audits <= {beta.id}


async def test_no_tenant_context_sees_nothing(world: World) -> None:
    alpha = await world.organisation()
    await world.alliance(alpha)
    async with tenant_session(world.sessions, None) as session:
        for model in (Alliance, Membership, User, ApiToken, Event, AuditEntry):
            assert list(await session.scalars(select(model))) == [], model.__name__


async def test_rls_refuses_writes_into_another_tenant(world: World) -> None:
    alpha, beta = await world.organisation("alpha"), await world.organisation("beta")
    theirs = await world.alliance(alpha)
    async with tenant_session(world.sessions, beta.id) as session:
        session.add(Membership(alliance_id=theirs, organisation_id=beta.id, role="partner"))
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.flush()
    async with tenant_session(world.sessions, beta.id) as session:
        updated = await session.execute(
            text("UPDATE alliances SET name = 'hijacked' WHERE id = :id"), {"id": theirs}
        )
        assert updated.rowcount == 0  # type: ignore[attr-defined]


async def test_audit_entries_cannot_be_changed_by_the_app_role(world: World) -> None:
    alpha = await world.organisation()
    await world.alliance(alpha)
    for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
        async with tenant_session(world.sessions, alpha.id) as session:
            with pytest.raises(DBAPIError, match="permission denied"):
                await session.execute(text(statement))


async def test_pooled_connection_never_carries_a_tenant_to_the_next(
    database_url: str, world: World
) -> None:
    alpha, beta = await world.organisation("alpha"), await world.organisation("beta")
    alpha_alliance = await world.alliance(alpha, name="Alpha's")
    beta_alliance = await world.alliance(beta, name="Beta's")
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    sessions = make_sessionmaker(engine)
    try:
        for _ in range(10):
            for org, expected in ((alpha, alpha_alliance), (beta, beta_alliance), (None, None)):
                async with tenant_session(sessions, org.id if org else None) as session:
                    seen = set(await session.scalars(select(Alliance.id)))
                    await session.commit()
                assert seen == ({expected} if expected else set())
        # and a plain (operator) connection afterwards is back to its own role
        async with engine.connect() as connection:
            setting = await connection.scalar(
                text("SELECT current_setting('portal.organisation_id', true)")
            )
            assert await connection.scalar(text("SELECT current_user")) != APP_ROLE
            assert setting in (None, "")
    finally:
        await engine.dispose()


async def test_concurrent_tenants_on_a_small_pool_stay_apart(
    database_url: str, world: World
) -> None:
    orgs = [await world.organisation(f"org-{i}") for i in range(4)]
    expected = {org.id: await world.alliance(org, name=f"A{i}") for i, org in enumerate(orgs)}
    engine = create_engine(database_url, pool_size=2, max_overflow=0)
    sessions = make_sessionmaker(engine)

    async def look(org_id: uuid.UUID) -> tuple[uuid.UUID, set[uuid.UUID]]:
        async with tenant_session(sessions, org_id) as session:
            seen = set(await session.scalars(select(Alliance.id)))
            await asyncio.sleep(0)
            return org_id, seen

    try:
        results = await asyncio.gather(*(look(org.id) for org in orgs * 5))
    finally:
        await engine.dispose()
    for org_id, seen in results:
        assert seen == {expected[org_id]}
