"""Who may read an object inside its alliance (SPEC §4 visibility), checked once for every
area: plans, contributions and IP assets take an ``Audience`` and keep the
``ResolvedAudience`` this module makes of it; issues and minutes, whose committee follows
from the object (the holding committee, the meeting's), check their listed organisations
with :func:`current_member_ids`.

Organisations are named by slug. Unknown slugs and organisations that are not current
members are refused alike, so an answer never reveals an organisation outside the
alliance. The listed organisations become ``VisibilityGrant`` rows, which the policy and
the row-level security policies read.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from auth import policy
from auth.principal import Principal
from db.enums import Visibility
from db.governance import Committee, VisibilityGrant
from db.models import Organisation
from db.session import LockedSession
from portal.kernel.errors import BadInput
from portal.kernel.lookup import get_visible

AUDIENCE_MAX = 100
"""The most organisations one audience may list."""

COMMITTEE_FIELD = "visibilityCommittee"
AUDIENCE_FIELD = "audience"


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may read a new object: ``visibility``; for ``COMMITTEE`` the committee whose
    seat holders read it; for ``ORGANISATIONS`` the slugs of the member organisations
    listed."""

    visibility: Visibility = Visibility.ALLIANCE
    committee_id: uuid.UUID | None = None
    organisation_slugs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResolvedAudience:
    """An audience checked against the alliance: the committee and the organisations."""

    visibility: Visibility
    committee_id: uuid.UUID | None
    organisation_ids: tuple[uuid.UUID, ...]
    """Sorted; empty unless the visibility is ``ORGANISATIONS``."""

    def grants(
        self,
        alliance_id: uuid.UUID,
        object_id: uuid.UUID,
        *,
        besides: frozenset[uuid.UUID] = frozenset(),
    ) -> list[VisibilityGrant]:
        """The grant rows of the listed organisations, except those in ``besides`` (the
        ones an object already has)."""
        return [
            VisibilityGrant(alliance_id=alliance_id, object_id=object_id, organisation_id=org)
            for org in self.organisation_ids
            if org not in besides
        ]


def cleaned_slugs(slugs: Sequence[str]) -> tuple[str, ...]:
    """Slugs without white space, blanks or repeats, sorted (idempotency fingerprints use
    this form, so the same audience written twice is the same input)."""
    return tuple(sorted({slug.strip() for slug in slugs if slug.strip()}))


async def current_member_ids(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    slugs: Sequence[str],
    *,
    at_least_one: bool,
    field: str = AUDIENCE_FIELD,
) -> tuple[uuid.UUID, ...]:
    """The organisations named by ``slugs``, each a current member of the alliance, in two
    statements however many are named."""
    wanted = cleaned_slugs(slugs)
    if at_least_one and not wanted:
        raise BadInput("name at least one member organisation", field=field)
    if len(wanted) > AUDIENCE_MAX:
        raise BadInput(f"name at most {AUDIENCE_MAX} organisations", field=field)
    if not wanted:
        return ()
    members = set(await session.scalars(policy.current_member_ids(principal, alliance_id)))
    found = {
        organisation.slug: organisation.id
        for organisation in await session.scalars(
            policy.visible_organisations(principal).where(Organisation.slug.in_(wanted))
        )
        if organisation.id in members
    }
    missing = [slug for slug in wanted if slug not in found]
    if missing:
        raise BadInput(
            f"not a current member organisation of this alliance: {', '.join(missing)}",
            field=field,
        )
    return tuple(sorted(found.values()))


async def resolve_audience(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    audience: Audience,
    *,
    at_least_one: bool,
    always_sees: uuid.UUID | None = None,
) -> ResolvedAudience:
    """``audience`` checked against the alliance: a COMMITTEE audience names one of the
    alliance's committees, an ORGANISATIONS audience lists current members (at least one
    if ``at_least_one``; ``always_sees``, e.g. the owner, is added to the list)."""
    if audience.visibility is not Visibility.COMMITTEE and audience.committee_id is not None:
        raise BadInput("only COMMITTEE visibility names a committee", field=COMMITTEE_FIELD)
    if audience.visibility is not Visibility.ORGANISATIONS and cleaned_slugs(
        audience.organisation_slugs
    ):
        raise BadInput("only ORGANISATIONS visibility lists organisations", field=AUDIENCE_FIELD)
    if audience.visibility is Visibility.COMMITTEE:
        if audience.committee_id is None:
            raise BadInput("COMMITTEE visibility names a committee", field=COMMITTEE_FIELD)
        committee = await get_visible(
            session,
            policy.alliance_records(principal, Committee),
            audience.committee_id,
            what="committee",
            field=COMMITTEE_FIELD,
        )
        if committee.alliance_id != alliance_id:
            raise BadInput("the committee is one of another alliance", field=COMMITTEE_FIELD)
        return ResolvedAudience(Visibility.COMMITTEE, committee.id, ())
    if audience.visibility is Visibility.ORGANISATIONS:
        listed = await current_member_ids(
            session, principal, alliance_id, audience.organisation_slugs, at_least_one=at_least_one
        )
        if always_sees is not None:
            listed = tuple(sorted({*listed, always_sees}))
        return ResolvedAudience(Visibility.ORGANISATIONS, None, listed)
    return ResolvedAudience(audience.visibility, None, ())
