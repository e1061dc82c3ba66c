"""The IP register: background and foreground IP assets, their owner organisations, and
access-right requests answered by the owners. The domain rules.

Who may do what (each needs the ip:write scope; reading needs ip:read):

- Any current member organisation registers an asset; it becomes one of the asset's
  owners, and may name co-owners among the alliance's current members.
- Any owner organisation edits the asset (title, description, licence terms, visibility)
  and adds or removes owners; an asset always keeps at least one owner. Edits carry the
  version the caller read (optimistic concurrency).
- An asset is visible to its audience (``ALLIANCE``, the seat holders of a ``COMMITTEE``,
  or the listed ``ORGANISATIONS``) and always to its owners.
- A member organisation that can see an asset and does not own it requests access to it,
  with a purpose; it has at most one pending request per asset and may withdraw it.
- Any owner organisation answers a pending request (grant or refuse, with a text); the
  answer records which organisation answered, who, and when. A request is seen only by
  the requesting organisation and the asset's owners.

Objects outside the caller's view answer like objects that do not exist (``NotFound``);
``Forbidden`` is said only about a visible object the caller may not change.

Functions take a session and a principal, check permissions through ``auth.policy``,
change models and flush; the caller's transaction commits.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Sequence

from auth import policy
from auth.principal import Principal
from db.enums import AccessRequestStatus, IpKind, Visibility
from db.governance import VisibilityGrant
from db.models import Organisation
from db.portfolio import IpAccessRequest, IpAsset, IpAssetOwner, Plan
from db.session import LockedSession
from portal.ip_assets.queries import (
    get_access_request,
    get_ip_asset,
    owns,
    require_write,
)
from portal.kernel.audience import (
    Audience,
    ResolvedAudience,
    current_member_ids,
    resolve_audience,
)
from portal.kernel.checks import check_version, checked_text
from portal.kernel.errors import BadInput, Conflict, Forbidden, NotFound
from portal.kernel.idempotency import create_once
from portal.kernel.lookup import require_member

TITLE_MAX = 200
TEXT_MAX = 20_000
"""Longest description, licence terms, purpose or answer."""

REGISTER_OPERATION = "registerIpAsset"
REQUEST_OPERATION = "requestIpAccess"


class AccessDecision(enum.StrEnum):
    """What the owners answer to an access request."""

    GRANT = "grant"
    REFUSE = "refuse"


# Owners ----------------------------------------------------------------------------------


async def _owner_rows(
    session: LockedSession, principal: Principal, asset_id: uuid.UUID
) -> list[IpAssetOwner]:
    rows = await session.scalars(
        policy.visible_ip_asset_owners(principal).where(IpAssetOwner.ip_asset_id == asset_id)
    )
    return list(rows)


async def _require_owner(
    session: LockedSession, principal: Principal, asset: IpAsset, action: str
) -> None:
    if not await owns(session, principal, asset.id):
        raise Forbidden(f"only the asset's owner organisations may {action}", field="asset")


# Assets ------------------------------------------------------------------------------------


async def register_ip_asset(
    session: LockedSession,
    principal: Principal,
    alliance_id: uuid.UUID,
    *,
    kind: IpKind,
    title: str,
    description: str = "",
    licence_terms: str = "",
    plan_id: uuid.UUID | None = None,
    audience: Audience | None = None,
    co_owner_slugs: Sequence[str] = (),
    idempotency_key: str | None = None,
    now: dt.datetime,
) -> IpAsset:
    """Register an asset in an alliance; the principal's organisation is an owner.

    Needs ip:write and a current membership (otherwise the alliance does not exist for the
    principal). Co-owners are named by slug and must be current members. The related plan,
    if any, must be visible to the principal and belong to the same alliance. Visibility
    COMMITTEE names a committee of the alliance; ORGANISATIONS lists member organisations
    by slug (none: the owners only). Owners always see their assets. A replay under the
    same idempotency key returns the first asset."""
    require_write(principal)
    await require_member(session, principal, alliance_id)
    audience = audience or Audience()
    title = checked_text(title, "title", required=True, limit=TITLE_MAX)
    description = checked_text(description, "description", required=False, limit=TEXT_MAX)
    licence_terms = checked_text(licence_terms, "licenceTerms", required=False, limit=TEXT_MAX)
    payload = {
        "alliance": alliance_id,
        "kind": kind.value,
        "title": title,
        "description": description,
        "licenceTerms": licence_terms,
        "plan": plan_id,
        "visibility": audience.visibility.value,
        "visibilityCommittee": audience.committee_id,
        "organisations": sorted({s.strip() for s in audience.organisation_slugs}),
        "coOwners": sorted({s.strip() for s in co_owner_slugs}),
    }

    async def create() -> IpAsset:
        if plan_id is not None:
            plan = await session.scalar(policy.visible_plans(principal).where(Plan.id == plan_id))
            if plan is None:
                raise NotFound("no such plan", field="plan")
            if plan.alliance_id != alliance_id:
                raise BadInput("the plan belongs to another alliance", field="plan")
        resolved = await resolve_audience(
            session, principal, alliance_id, audience, at_least_one=False
        )
        co_owners = await current_member_ids(
            session, principal, alliance_id, co_owner_slugs, at_least_one=False, field="coOwners"
        )
        owners = {*co_owners, principal.organisation_id}
        asset = IpAsset(
            id=uuid.uuid4(),
            alliance_id=alliance_id,
            kind=kind,
            title=title,
            description=description,
            licence_terms=licence_terms,
            plan_id=plan_id,
            visibility=resolved.visibility,
            visibility_committee_id=resolved.committee_id,
            version=1,
            created_at=now,
        )
        session.add(asset)
        await session.flush()  # the asset exists before what refers to it
        # the registering organisation's row first: only an owner may name other owners
        # (row-level security checks it), and that makes the principal's organisation one
        session.add(
            IpAssetOwner(
                alliance_id=alliance_id,
                ip_asset_id=asset.id,
                organisation_id=principal.organisation_id,
            )
        )
        await session.flush()
        session.add_all(
            IpAssetOwner(alliance_id=alliance_id, ip_asset_id=asset.id, organisation_id=org)
            for org in sorted(owners - {principal.organisation_id})
        )
        session.add_all(resolved.grants(alliance_id, asset.id))
        await session.flush()
        return asset

    async def load(asset_id: uuid.UUID) -> IpAsset:
        return await get_ip_asset(session, principal, asset_id, field="idempotencyKey")

    return await create_once(
        session,
        principal,
        operation=REGISTER_OPERATION,
        key=idempotency_key,
        payload=payload,
        create=create,
        load=load,
    )


async def update_ip_asset(
    session: LockedSession,
    principal: Principal,
    asset_id: uuid.UUID,
    *,
    expected_version: int,
    title: str | None = None,
    description: str | None = None,
    licence_terms: str | None = None,
    audience: Audience | None = None,
) -> IpAsset:
    """Edit an asset; ``None`` leaves a field as it is. Any owner organisation, with
    ip:write; another member that can see the asset is refused (``Forbidden``).

    A new visibility replaces the old one. The organisations an asset was shared with
    (visibility ORGANISATIONS) can be added to but not taken back: a new ORGANISATIONS
    list must still name every current member it was shared with."""
    require_write(principal)
    asset = await get_ip_asset(session, principal, asset_id, for_update=True)
    await _require_owner(session, principal, asset, "edit it")
    check_version(asset.version, expected_version, "IP asset")
    if title is not None:
        asset.title = checked_text(title, "title", required=True, limit=TITLE_MAX)
    if description is not None:
        asset.description = checked_text(description, "description", required=False, limit=TEXT_MAX)
    if licence_terms is not None:
        asset.licence_terms = checked_text(
            licence_terms, "licenceTerms", required=False, limit=TEXT_MAX
        )
    new_grants: list[VisibilityGrant] = []
    if audience is not None:
        resolved = await resolve_audience(
            session, principal, asset.alliance_id, audience, at_least_one=False
        )
        new_grants = await _regrant(session, principal, asset, resolved)
        asset.visibility = resolved.visibility
        asset.visibility_committee_id = resolved.committee_id
    asset.version += 1
    await session.flush()
    session.add_all(new_grants)
    await session.flush()
    return asset


async def _regrant(
    session: LockedSession, principal: Principal, asset: IpAsset, resolved: ResolvedAudience
) -> list[VisibilityGrant]:
    """Bring the asset's grants in line with a new ORGANISATIONS audience: grants of
    organisations no longer listed are removed, and the new ones returned to be added."""
    if resolved.visibility is not Visibility.ORGANISATIONS:
        return []  # earlier grants stay, unused while the visibility is not ORGANISATIONS
    existing = {
        grant.organisation_id: grant
        for grant in await session.scalars(
            policy.alliance_records(principal, VisibilityGrant).where(
                VisibilityGrant.object_id == asset.id
            )
        )
    }
    for organisation_id in existing.keys() - set(resolved.organisation_ids):
        await session.delete(existing[organisation_id])
    return resolved.grants(asset.alliance_id, asset.id, besides=frozenset(existing))


async def add_ip_owner(
    session: LockedSession,
    principal: Principal,
    asset_id: uuid.UUID,
    *,
    expected_version: int,
    organisation_slug: str,
) -> IpAsset:
    """Make another current member organisation a co-owner. Any owner organisation, with
    ip:write; the asset's version changes."""
    require_write(principal)
    asset = await get_ip_asset(session, principal, asset_id, for_update=True)
    await _require_owner(session, principal, asset, "add owners")
    check_version(asset.version, expected_version, "IP asset")
    found = await current_member_ids(
        session,
        principal,
        asset.alliance_id,
        [organisation_slug],
        at_least_one=False,
        field="organisationSlug",
    )
    if not found:
        raise BadInput("name an organisation by its slug", field="organisationSlug")
    (organisation_id,) = found
    owners = await _owner_rows(session, principal, asset.id)
    if any(owner.organisation_id == organisation_id for owner in owners):
        raise Conflict("the organisation already owns the asset", field="organisationSlug")
    asset.version += 1
    await session.flush()
    session.add(
        IpAssetOwner(
            alliance_id=asset.alliance_id, ip_asset_id=asset.id, organisation_id=organisation_id
        )
    )
    await session.flush()
    return asset


async def remove_ip_owner(
    session: LockedSession,
    principal: Principal,
    asset_id: uuid.UUID,
    *,
    expected_version: int,
    organisation_slug: str,
) -> IpAsset:
    """Remove an owner organisation (possibly the principal's own). Any owner
    organisation, with ip:write; the last owner cannot be removed."""
    require_write(principal)
    asset = await get_ip_asset(session, principal, asset_id, for_update=True)
    await _require_owner(session, principal, asset, "remove owners")
    check_version(asset.version, expected_version, "IP asset")
    owners = await _owner_rows(session, principal, asset.id)
    slugs = {
        organisation.id: organisation.slug
        for organisation in await session.scalars(
            policy.visible_organisations(principal).where(
                Organisation.id.in_([owner.organisation_id for owner in owners])
            )
        )
    }
    removed = [owner for owner in owners if slugs.get(owner.organisation_id) == organisation_slug]
    if not removed:
        raise BadInput("the organisation does not own the asset", field="organisationSlug")
    if len(owners) == 1:
        raise BadInput("an asset keeps at least one owner", field="organisationSlug")
    # bump first: once the principal's own ownership is gone, RLS may no longer let it
    # update the asset
    asset.version += 1
    await session.flush()
    await session.delete(removed[0])
    await session.flush()
    return asset


# Access requests ---------------------------------------------------------------------------


async def request_ip_access(
    session: LockedSession,
    principal: Principal,
    asset_id: uuid.UUID,
    *,
    purpose: str,
    idempotency_key: str | None = None,
    now: dt.datetime,
) -> IpAccessRequest:
    """Ask for access rights to an asset. A current member organisation that can see the
    asset and does not own it, with ip:write; a purpose is required; one pending request
    per organisation and asset (another is a ``Conflict``)."""
    require_write(principal)
    purpose = checked_text(purpose, "purpose", required=True, limit=TEXT_MAX)

    async def create() -> IpAccessRequest:
        # the lock serialises requests for the asset: two cannot both be the pending one
        asset = await get_ip_asset(session, principal, asset_id, for_update=True)
        if await owns(session, principal, asset.id):
            raise BadInput("your organisation owns this asset", field="asset")
        pending = await session.scalar(
            policy.visible_access_requests(principal).where(
                IpAccessRequest.ip_asset_id == asset.id,
                IpAccessRequest.organisation_id == principal.organisation_id,
                IpAccessRequest.status == AccessRequestStatus.PENDING,
            )
        )
        if pending is not None:
            raise Conflict("your organisation already has a pending request", field="asset")
        request = IpAccessRequest(
            id=uuid.uuid4(),
            alliance_id=asset.alliance_id,
            ip_asset_id=asset.id,
            organisation_id=principal.organisation_id,
            purpose=purpose,
            status=AccessRequestStatus.PENDING,
            answer="",
            created_at=now,
        )
        session.add(request)
        await session.flush()
        return request

    async def load(request_id: uuid.UUID) -> IpAccessRequest:
        return await get_access_request(session, principal, request_id, field="idempotencyKey")

    return await create_once(
        session,
        principal,
        operation=REQUEST_OPERATION,
        key=idempotency_key,
        payload={"asset": asset_id, "purpose": purpose},
        create=create,
        load=load,
    )


def _require_pending(request: IpAccessRequest) -> None:
    if request.status is not AccessRequestStatus.PENDING:
        raise Conflict(
            f"the request is {request.status.value}; only a pending request can change",
            field="request",
        )


async def answer_ip_access_request(
    session: LockedSession,
    principal: Principal,
    request_id: uuid.UUID,
    *,
    decision: AccessDecision,
    answer: str,
    now: dt.datetime,
) -> IpAccessRequest:
    """Grant or refuse a pending request, with an answer text. Any owner organisation of
    the asset, with ip:write, except the requesting organisation itself; records which
    organisation answered, the user, and when."""
    require_write(principal)
    request = await get_access_request(session, principal, request_id, for_update=True)
    if request.organisation_id == principal.organisation_id:
        raise Forbidden("an organisation cannot answer its own request", field="request")
    if not await owns(session, principal, request.ip_asset_id):
        raise Forbidden(
            "only the asset's owner organisations answer its access requests", field="request"
        )
    _require_pending(request)
    request.answer = checked_text(answer, "answer", required=True, limit=TEXT_MAX)
    request.status = (
        AccessRequestStatus.GRANTED
        if decision is AccessDecision.GRANT
        else AccessRequestStatus.REFUSED
    )
    request.answered_by_organisation_id = principal.organisation_id
    request.answered_by_user_id = principal.user_id
    request.answered_at = now
    await session.flush()
    return request


async def withdraw_ip_access_request(
    session: LockedSession, principal: Principal, request_id: uuid.UUID
) -> IpAccessRequest:
    """Withdraw a pending request. The requesting organisation only, with ip:write."""
    require_write(principal)
    request = await get_access_request(session, principal, request_id, for_update=True)
    if request.organisation_id != principal.organisation_id:
        raise Forbidden("only the requesting organisation withdraws its request", field="request")
    _require_pending(request)
    request.status = AccessRequestStatus.WITHDRAWN
    await session.flush()
    return request
