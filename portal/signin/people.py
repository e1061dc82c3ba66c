"""Who signed in: the person ``(issuer, subject)`` of an organisation, found, bound to an
invitation, or provisioned, by the organisation's rules. Never matched by e-mail alone:
an e-mail address only finds the invitation an identity is then bound to, once."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import func, insert, select, update

from db.enums import UserRole, UserStatus
from db.identity import IdentityProvider
from db.models import User
from db.session import LockedSession
from portal.signin.upstream import Identity

ROLE_ORDER = (UserRole.VIEWER, UserRole.MEMBER, UserRole.ADMIN)
PROVISIONED_ROLE = UserRole.VIEWER
"""The role of a person provisioned without a mapped role claim: the least one."""


class NotAdmitted(Exception):
    """The identity is genuine but may not act for the organisation; safe to show."""


def mapped_role(provider: IdentityProvider, identity: Identity) -> UserRole | None:
    """The highest portal role the person's role-claim values map to, if any does."""
    mapped = {
        UserRole(role)
        for value, role in provider.role_values.items()
        if value in identity.role_values and role in UserRole.__members__.values()
    }
    return max(mapped, key=ROLE_ORDER.index) if mapped else None


async def admit(
    session: LockedSession, provider: IdentityProvider, identity: Identity, now: dt.datetime
) -> User:
    """The person of ``provider``'s organisation who signed in as ``identity``: known by
    ``(issuer, subject)``; or the invitation with their verified e-mail, bound now; or,
    where the organisation allows it, a new person. Name and mapped role follow the
    provider at each sign-in. Raises :class:`NotAdmitted`."""
    organisation_id = provider.organisation_id
    role = mapped_role(provider, identity)
    known = await session.scalar(
        select(User).where(User.issuer == identity.issuer, User.subject == identity.subject)
    )
    if known is not None:
        if known.organisation_id != organisation_id:
            # one provider, two organisations: only the tenant claim decides, never this
            raise NotAdmitted("this identity belongs to another organisation")
        if known.status is UserStatus.DEACTIVATED:
            raise NotAdmitted("your access to the portal has been deactivated")
        return await _update(session, known.id, identity, role, now)
    if identity.email is not None and identity.email_verified:
        invited = await session.scalar(
            select(User).where(
                User.organisation_id == organisation_id,
                func.lower(User.email) == identity.email,
                User.status == UserStatus.INVITED,
                User.issuer.is_(None),
            )
        )
        if invited is not None:
            return await _update(session, invited.id, identity, role, now, bind=True)
    if not provider.provision_unknown:
        raise NotAdmitted("you have not been invited to the portal by your organisation")
    if identity.email is None:
        raise NotAdmitted("your identity provider sent no e-mail address")
    taken = await session.scalar(
        select(User.id).where(
            User.organisation_id == organisation_id, func.lower(User.email) == identity.email
        )
    )
    if taken is not None:
        raise NotAdmitted("another person of your organisation holds this e-mail address")
    created = await session.scalar(
        insert(User)
        .values(
            id=uuid.uuid4(),
            organisation_id=organisation_id,
            email=identity.email,
            display_name=(identity.name or identity.email)[:200],
            role=role or PROVISIONED_ROLE,
            status=UserStatus.ACTIVE,
            issuer=identity.issuer,
            subject=identity.subject,
            signed_in_at=now,
            created_at=now,
        )
        .returning(User)
    )
    assert isinstance(created, User)
    return created


async def _update(
    session: LockedSession,
    user_id: uuid.UUID,
    identity: Identity,
    role: UserRole | None,
    now: dt.datetime,
    *,
    bind: bool = False,
) -> User:
    values: dict[str, object] = {"signed_in_at": now}
    if bind:
        values |= {"issuer": identity.issuer, "subject": identity.subject}
        values["status"] = UserStatus.ACTIVE
    if identity.name:
        values["display_name"] = identity.name[:200]
    if role is not None and not await _last_admin_demoted(session, user_id, role):
        values["role"] = role
    updated = await session.scalar(
        update(User)
        .where(User.id == user_id)
        .values(**values)
        .returning(User)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    assert isinstance(updated, User)
    return updated


async def _last_admin_demoted(session: LockedSession, user_id: uuid.UUID, role: UserRole) -> bool:
    """Whether mapping ``role`` would leave the person's organisation without an active
    admin: the provider's claim does not get to lock an organisation out of its portal."""
    if role is UserRole.ADMIN:
        return False
    person = await session.get(User, user_id)
    if person is None or person.role is not UserRole.ADMIN:
        return False
    others = await session.scalar(
        select(func.count()).where(
            User.organisation_id == person.organisation_id,
            User.id != user_id,
            User.role == UserRole.ADMIN,
            User.status == UserStatus.ACTIVE,
        )
    )
    return not others
