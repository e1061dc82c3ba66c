"""The audit trail verifies, and a changed or removed entry is found."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, select, update

from db.models import AuditEntry, AuditHead
from db.unit_of_work import audit_payload, chain_hash
from portal.audit import ChainReport, verify_audit_trail
from portal.settings import Settings
from tests.builders import World


def key(world: World) -> bytes:
    return Settings(token_secret=world.secret).audit_key  # type: ignore[arg-type]


async def _alpha_with_a_chain(world: World) -> None:
    alpha = await world.organisation("alpha")
    await world.alliance(alpha, name="Alpha's")
    await world.token(alpha)


async def test_intact_chains_verify_and_tampering_is_named(world: World) -> None:
    alpha, beta = await world.organisation("alpha"), await world.organisation("beta")
    await world.alliance(alpha, beta, name="Shared")
    await world.token(beta)

    async with world.sessions() as session:
        reports = await verify_audit_trail(session, key(world))
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
        by_slug = {r.slug: r for r in await verify_audit_trail(session, key(world))}
    assert by_slug["alpha"].first_broken == ids[1]
    assert not by_slug["beta"].intact


async def _report(world: World) -> ChainReport:
    async with world.sessions() as session:
        (report,) = await verify_audit_trail(session, key(world))
    return report


async def test_removing_the_newest_entries_is_found_by_the_head(world: World) -> None:
    await _alpha_with_a_chain(world)
    assert (await _report(world)).intact
    async with world.sessions() as session, session.begin():
        newest = await session.scalar(select(func.max(AuditEntry.id)))
        await session.execute(delete(AuditEntry).where(AuditEntry.id == newest))
    report = await _report(world)
    assert report.first_broken is None  # what is left still chains
    assert report.head_problem is not None
    assert "its head says" in report.head_problem
    assert not report.intact


async def test_an_entry_appended_by_hand_without_the_key_is_found(world: World) -> None:
    await _alpha_with_a_chain(world)
    async with world.sessions() as session, session.begin():
        last = (
            (await session.execute(select(AuditEntry.__table__).order_by(AuditEntry.id.desc())))
            .mappings()
            .first()
        )
        assert last is not None
        forged = dict(last) | {"action": "alliance.deleted"}
        forged.pop("id")
        forged["previous_hash"] = last["entry_hash"]
        forged["entry_hash"] = chain_hash(last["entry_hash"], audit_payload(forged))
        forged["entry_mac"] = b"\x00" * 32  # whoever writes by hand has no key
        written = await session.scalar(insert(AuditEntry).values(forged).returning(AuditEntry.id))
    report = await _report(world)
    assert report.first_broken == written  # the hash chain alone would accept it
    assert report.head_problem is not None


async def test_a_head_rewritten_without_the_key_is_found(world: World) -> None:
    await _alpha_with_a_chain(world)
    async with world.sessions() as session, session.begin():
        await session.execute(update(AuditHead).values(entries=AuditHead.entries + 1))
    report = await _report(world)
    assert report.head_problem == "the head is not signed by the portal"
