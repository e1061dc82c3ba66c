"""The people of an organisation: invited, given a role, deactivated, reactivated; and the
OAuth clients a deactivated person owned, adopted by another admin. Admins only.

Rules kept here:

- An invited person has an e-mail address and no identity: the first sign-in through the
  organisation's identity provider binds ``(issuer, subject)`` and makes them ACTIVE
  (``portal.signin.people``). One person per e-mail address and organisation.
- The organisation never loses its last admin: an active admin is demoted or deactivated
  only while another active admin remains (an invited admin, while the organisation has no
  active one yet, only while another admin may still sign in). No one deactivates
  themselves.
- Deactivating a person ends every credential they hold or made, in the same transaction:
  the API tokens they created are revoked, their sign-ins (OAuth grants, with the refresh
  tokens of each) are revoked, and the OAuth clients they own are suspended until another
  admin adopts them. Reactivating restores the person, never those credentials.

Every change locks the organisation's row first, so concurrent changes to its people run
one after the other and the checks above see each other's results.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import UserRole, UserStatus
from db.identity import OAuthClient, OAuthGrant
from db.models import ApiToken, User, utcnow
from db.session import LockedSession
from portal.kernel.errors import BadInput, Forbidden, NotFound
from portal.onboarding import normalise_email
from portal.people.queries import get_person

DISPLAY_NAME_MAX = 200
DEACTIVATED_REASON = "person_deactivated"
"""``OAuthGrant.revoked_reason`` of the sign-ins ended by deactivating their person."""


@dataclass(frozen=True, slots=True)
class Deactivation:
    """A deactivated person and how many of their credentials the deactivation ended."""

    person: User
    revoked_api_tokens: int
    revoked_grants: int
    suspended_oauth_clients: int


async def _lock_people(session: LockedSession, principal: Principal) -> None:
    # FOR NO KEY UPDATE: serialises changes to the organisation's people without blocking
    # rows that merely reference the organisation
    await session.execute(policy.own_organisation(principal).with_for_update(key_share=True))


async def add_invitation(
    session: LockedSession,
    *,
    organisation_id: uuid.UUID,
    email: str,
    display_name: str,
    role: UserRole,
    invited_by_user_id: uuid.UUID | None,
) -> User:
    """Record an invited person of ``organisation_id``. Callers decide who may (an admin
    through :func:`invite_person`, or an operator); this checks the invitation itself: an
    e-mail address (at most 320 characters, its domain in lower case), a name, and no
    other person of the organisation with that address (``BadInput`` on ``email``)."""
    address = normalise_email(email)
    name = display_name.strip()
    if not 0 < len(name) <= DISPLAY_NAME_MAX:
        raise BadInput(f"a name has 1 to {DISPLAY_NAME_MAX} characters", field="displayName")
    taken = await session.scalar(
        select(User.status).where(
            User.organisation_id == organisation_id, func.lower(User.email) == address.lower()
        )
    )
    if taken is not None:
        hint = "; reactivate them instead" if taken is UserStatus.DEACTIVATED else ""
        raise BadInput(
            f"a person of your organisation already has the e-mail address {address}{hint}",
            field="email",
        )
    person = User(
        id=uuid.uuid4(),
        organisation_id=organisation_id,
        email=address,
        display_name=name,
        role=role,
        status=UserStatus.INVITED,
        invited_by_user_id=invited_by_user_id,
    )
    session.add(person)
    await session.flush()
    return person


async def invite_person(
    session: LockedSession,
    principal: Principal,
    *,
    email: str,
    display_name: str,
    role: UserRole,
) -> User:
    """An admin invites a person to the organisation with ``role``. The invitation is
    pending (INVITED) until the person first signs in through the organisation's identity
    provider with this e-mail address, verified."""
    policy.require_scope(principal, Scope.ADMIN)
    await _lock_people(session, principal)
    return await add_invitation(
        session,
        organisation_id=principal.organisation_id,
        email=email,
        display_name=display_name,
        role=role,
        invited_by_user_id=principal.user_id,
    )


async def _keep_an_admin(session: LockedSession, principal: Principal, person: User) -> None:
    """Refuse to take the admin role from ``person`` (by demotion or deactivation) if the
    organisation would be left without an admin who can act."""
    if person.role is not UserRole.ADMIN or person.status is UserStatus.DEACTIVATED:
        return
    # an invited admin counts only while no admin is active yet (a new organisation's
    # first admin, before they signed in); then another invited admin is enough
    standing = (
        [UserStatus.ACTIVE]
        if person.status is UserStatus.ACTIVE
        else [UserStatus.ACTIVE, UserStatus.INVITED]
    )
    others = await session.scalar(
        policy.own_users(principal)
        .where(User.role == UserRole.ADMIN, User.status.in_(standing), User.id != person.id)
        .with_only_columns(func.count())
    )
    if not others:
        raise Forbidden(
            "this is your organisation's last active admin: make another person admin first",
            field="person",
        )


async def change_person_role(
    session: LockedSession, principal: Principal, person_id: uuid.UUID, role: UserRole
) -> User:
    """An admin gives a person of the organisation another role; the API tokens the person
    made are narrowed to it from their next request. The last active admin keeps the role
    (``Forbidden``). Where the identity provider maps a role claim, the person's next
    sign-in sets the role it maps to."""
    policy.require_scope(principal, Scope.ADMIN)
    await _lock_people(session, principal)
    person = await get_person(session, principal, person_id, for_update=True)
    if person.role is role:
        return person
    await _keep_an_admin(session, principal, person)
    person.role = role
    await session.flush()
    return person


async def deactivate_person(
    session: LockedSession, principal: Principal, person_id: uuid.UUID
) -> Deactivation:
    """An admin deactivates a person of the organisation: they can no longer sign in, and
    in the same transaction every credential they hold or made ends. API tokens they
    created are revoked (by the acting admin); their sign-ins (OAuth grants) are revoked
    with reason ``person_deactivated``, so the grants' refresh tokens are refused and their
    access tokens fail at the next request; OAuth clients they own are suspended until
    another admin adopts them (:func:`adopt_oauth_client`).

    Refused (``Forbidden``) for yourself and for the last active admin. A pending
    invitation is withdrawn so (reactivating it makes it pending again). Deactivating a
    deactivated person ends whatever credential is still live (normally none)."""
    policy.require_scope(principal, Scope.ADMIN)
    await _lock_people(session, principal)
    person = await get_person(session, principal, person_id, for_update=True)
    if person.id == principal.user_id:
        raise Forbidden("you cannot deactivate yourself", field="person")
    await _keep_an_admin(session, principal, person)
    now = utcnow()
    if person.status is not UserStatus.DEACTIVATED:
        person.status = UserStatus.DEACTIVATED
        person.deactivated_at = now

    tokens = list(
        await session.scalars(
            policy.own_api_tokens(principal)
            .where(ApiToken.created_by_user_id == person.id, ApiToken.revoked_at.is_(None))
            .with_for_update()
        )
    )
    for token in tokens:
        token.revoked_at = now
        token.revoked_by_user_id = principal.user_id
    grants = list(
        await session.scalars(
            policy.own_oauth_grants(principal)
            .where(OAuthGrant.user_id == person.id, OAuthGrant.revoked_at.is_(None))
            .with_for_update()
        )
    )
    for grant in grants:
        grant.revoked_at = now
        grant.revoked_reason = DEACTIVATED_REASON
    clients = list(
        await session.scalars(
            policy.own_oauth_clients(principal)
            .where(
                OAuthClient.owner_user_id == person.id,
                OAuthClient.suspended_at.is_(None),
                OAuthClient.revoked_at.is_(None),
            )
            .with_for_update()
        )
    )
    for client in clients:
        client.suspended_at = now
    await session.flush()
    return Deactivation(person, len(tokens), len(grants), len(clients))


async def reactivate_person(
    session: LockedSession, principal: Principal, person_id: uuid.UUID
) -> User:
    """An admin lets a deactivated person of the organisation sign in again: ACTIVE, or
    INVITED if they never signed in. What the deactivation revoked stays revoked (API
    tokens, sign-ins) and the clients it suspended stay suspended until adopted.
    Reactivating someone who is not deactivated changes nothing."""
    policy.require_scope(principal, Scope.ADMIN)
    await _lock_people(session, principal)
    person = await get_person(session, principal, person_id, for_update=True)
    if person.status is UserStatus.DEACTIVATED:
        person.status = UserStatus.INVITED if person.issuer is None else UserStatus.ACTIVE
        person.deactivated_at = None
        await session.flush()
    return person


async def adopt_oauth_client(
    session: LockedSession, principal: Principal, client_id: uuid.UUID
) -> OAuthClient:
    """The acting admin becomes the owner of one of the organisation's OAuth clients, which
    is no longer suspended: how a client whose owner was deactivated works again. A revoked
    client cannot be adopted (``BadInput``); the admin must act as a person, not through an
    operator's token (``Forbidden``)."""
    policy.require_scope(principal, Scope.ADMIN)
    client = await session.scalar(
        policy.own_oauth_clients(principal)
        .where(OAuthClient.id == client_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if client is None:
        raise NotFound("no such OAuth client", field="oauthClient")
    if principal.user_id is None:
        raise Forbidden("a client is adopted by a person, not an operator", field="oauthClient")
    if client.revoked_at is not None:
        raise BadInput("the client is revoked", field="oauthClient")
    client.owner_user_id = principal.user_id
    client.suspended_at = None
    await session.flush()
    return client
