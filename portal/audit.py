"""Verifying the audit trail: every organisation's entries must form an unbroken hash chain."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditEntry, Organisation
from db.unit_of_work import verify_chain


@dataclass(frozen=True, slots=True)
class ChainReport:
    """One organisation's chain: how many entries, and the first one that does not follow
    from its predecessor (None when the chain is intact)."""

    organisation_id: uuid.UUID
    slug: str
    entries: int
    first_broken: int | None

    @property
    def intact(self) -> bool:
        return self.first_broken is None


async def verify_audit_trail(session: AsyncSession) -> list[ChainReport]:
    """Check every organisation's chain. Runs as the operator: it reads all tenants."""
    slugs = {
        row.id: row.slug
        for row in await session.execute(select(Organisation.id, Organisation.slug))
    }
    rows = (
        await session.execute(
            select(AuditEntry.__table__).order_by(AuditEntry.organisation_id, AuditEntry.id)
        )
    ).mappings()
    reports = []
    for organisation_id, entries in groupby(rows, key=lambda row: row["organisation_id"]):
        chain = [dict(entry) for entry in entries]
        reports.append(
            ChainReport(
                organisation_id,
                slugs.get(organisation_id, str(organisation_id)),
                len(chain),
                verify_chain(chain),
            )
        )
    return sorted(reports, key=lambda report: report.slug)
