"""The audit trail verifies, and a changed or removed entry is found."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from db.models import AuditEntry
from portal.audit import verify_audit_trail
from tests.builders import World


async def test_intact_chains_verify_and_tampering_is_named(world: World) -> None:
    alpha, beta = await world.organisation("alpha"), await world.organisation("beta")
    await world.alliance(alpha, beta, name="Shared")
    await world.token(beta)

    async with world.sessions() as session:
        reports = await verify_audit_trail(session)
    assert {(r.slug, r.intact) for r in reports} == {("alpha", True), ("beta", True)}
    assert all(r.entries > 1 for r in reports)

    async with world.sessions() as session, session.begin():
        ids = list(
            await session.scalars(
                select(AuditEntry.id)
                .where(AuditEntry.organisation_id == alpha.id)
                .order_by(AuditEntry.id)
            )
        )
        await session.execute(
            update(AuditEntry).where(AuditEntry.id == ids[1]).values(action="forged")
        )
        await session.execute(
            delete(AuditEntry).where(
                AuditEntry.organisation_id == beta.id,
                AuditEntry.id
                == select(AuditEntry.id)
                .where(AuditEntry.organisation_id == beta.id)
                .order_by(AuditEntry.id)
                .limit(1)
                .scalar_subquery(),
            )
        )
    async with world.sessions() as session:
        by_slug = {r.slug: r for r in await verify_audit_trail(session)}
    assert by_slug["alpha"].first_broken == ids[1]
    assert not by_slug["beta"].intact
