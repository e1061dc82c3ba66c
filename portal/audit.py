"""Verifying the audit trail: every organisation's entries form an unbroken hash chain, each
signed with the portal's key, ending where its signed head says.

The hash chain alone finds an edited entry and a gap; the signatures find an entry written
by hand (without the key); the head finds the newest entries removed (the chain would end
earlier than the head, or count fewer entries).
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry, AuditHead, Organisation
from db.unit_of_work import entry_mac, head_signature, verify_chain


@dataclass(frozen=True, slots=True)
class ChainReport:
    """One organisation's chain: how many entries, the first entry that does not follow
    from its predecessor or is not signed by the portal (None when there is none), and
    what is wrong with its head (None when it matches)."""

    organisation_id: uuid.UUID
    slug: str
    entries: int
    first_broken: int | None
    head_problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_broken is None and self.head_problem is None


def _first_unsigned(key: bytes, chain: list[dict[str, Any]]) -> int | None:
    """The first entry whose signature is wrong, or missing after signing began (entries
    from before migration 0014 have none)."""
    signing = False
    for entry in chain:
        mac = entry["entry_mac"]
        if mac is None and not signing:
            continue
        signing = True
        if mac is None or not hmac.compare_digest(mac, entry_mac(key, entry["entry_hash"])):
            return int(entry["id"])
    return None


def _head_problem(key: bytes, chain: list[dict[str, Any]], head: AuditHead | None) -> str | None:
    last = chain[-1]
    if head is None:
        return None if last["entry_mac"] is None else "the chain has no head"
    expected = head_signature(
        key, head.organisation_id, head.last_entry_id, head.last_hash, head.entries
    )
    if not hmac.compare_digest(head.signature, expected):
        return "the head is not signed by the portal"
    if (head.last_entry_id, head.last_hash, head.entries) != (
        last["id"],
        last["entry_hash"],
        len(chain),
    ):
        return (
            f"the chain ends at entry {last['id']} with {len(chain)} entries; its head says "
            f"entry {head.last_entry_id} with {head.entries}"
        )
    return None


async def verify_audit_trail(session: AsyncSession, key: bytes) -> list[ChainReport]:
    """Check every organisation's chain against ``key`` (``Settings.audit_key``). Runs as
    the operator: it reads all tenants."""
    slugs = {
        row.id: row.slug
        for row in await session.execute(select(Organisation.id, Organisation.slug))
    }
    heads = {head.organisation_id: head for head in await session.scalars(select(AuditHead))}
    rows = (
        await session.execute(
            select(AuditEntry.__table__).order_by(AuditEntry.organisation_id, AuditEntry.id)
        )
    ).mappings()
    reports = []
    for organisation_id, entries in groupby(rows, key=lambda row: row["organisation_id"]):
        chain = [dict(entry) for entry in entries]
        broken = [
            found
            for found in (verify_chain(chain), _first_unsigned(key, chain))
            if found is not None
        ]
        reports.append(
            ChainReport(
                organisation_id,
                slugs.get(organisation_id, str(organisation_id)),
                len(chain),
                min(broken) if broken else None,
                _head_problem(key, chain, heads.pop(organisation_id, None)),
            )
        )
    for organisation_id, head in heads.items():  # every entry of a chain was removed
        reports.append(
            ChainReport(
                organisation_id,
                slugs.get(organisation_id, str(organisation_id)),
                0,
                None,
                f"the head says {head.entries} entries; none is left",
            )
        )
    return sorted(reports, key=lambda report: report.slug)
