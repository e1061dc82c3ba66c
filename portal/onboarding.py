"""Operators onboard organisations: the tenant, the e-mail domains it claims, and its first
admin, invited with a short-lived bootstrap token to register the organisation's identity
provider (until then no one of the organisation can sign in)."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import func, insert, select

from auth.scopes import ALL_SCOPES
from db.enums import OrganisationKind, UserRole, UserStatus
from db.identity import OrganisationDomain
from db.models import Organisation, User, utcnow
from db.session import LockedSession
from db.unit_of_work import Actor, act_as
from portal.api_tokens import issue_token
from portal.kernel.errors import BadInput

BOOTSTRAP_LIFETIME = dt.timedelta(days=7)
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_EMAIL = re.compile(
    r"[^@\s]{1,64}@([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)"
)


@dataclass(frozen=True, slots=True)
class Onboarded:
    """A new organisation, its invited first admin and the bootstrap token's secret."""

    organisation: Organisation
    admin: User
    bootstrap_token: str
    domains: list[str]


def normalise_email(email: str) -> str:
    """An e-mail address with its domain in lower case; raises BadInput if it is none."""
    local, _, domain = email.strip().rpartition("@")
    normalised = f"{local}@{domain.lower()}"
    if len(normalised) > 320 or not _EMAIL.fullmatch(normalised):
        raise BadInput(f"{email!r} is not an e-mail address", field="email")
    return normalised


def normalise_domain(domain: str) -> str:
    """A domain name in lower case; raises BadInput if it is none."""
    lowered = domain.strip().lower().rstrip(".")
    if not _EMAIL.fullmatch(f"x@{lowered}") or len(lowered) > 253:
        raise BadInput(f"{domain!r} is not a domain name", field="domain")
    return lowered


async def onboard_organisation(
    session: LockedSession,
    *,
    slug: str,
    name: str,
    kind: OrganisationKind,
    country: str,
    admin_email: str,
    admin_name: str,
    domains: list[str],
    hashing_secret: str,
) -> Onboarded:
    """Create the organisation, claim its domains, invite its first admin and issue the
    admin's bootstrap token (all scopes, a week). Raises BadInput, changing nothing."""
    if not _SLUG.fullmatch(slug):
        raise BadInput("a slug is 1 to 63 lower-case letters, digits and hyphens", field="slug")
    if not 0 < len(name.strip()) <= 200:
        raise BadInput("a name has 1 to 200 characters", field="name")
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise BadInput("country is an ISO 3166 alpha-2 code (DE, GB, ...)", field="country")
    email = normalise_email(admin_email)
    claimed = sorted({normalise_domain(domain) for domain in domains})
    if await session.scalar(select(func.count()).where(Organisation.slug == slug)):
        raise BadInput(f"an organisation {slug!r} exists already", field="slug")
    if claimed:
        taken = list(
            await session.scalars(
                select(OrganisationDomain.domain).where(OrganisationDomain.domain.in_(claimed))
            )
        )
        if taken:
            raise BadInput(f"claimed by another organisation: {', '.join(taken)}", field="domain")
    organisation = Organisation(
        id=uuid.uuid4(), slug=slug, name=name.strip(), kind=kind, country=country
    )
    act_as(session, Actor.operator(organisation.id))
    session.add(organisation)
    await session.flush()
    admin = User(
        id=uuid.uuid4(),
        organisation_id=organisation.id,
        email=email,
        display_name=admin_name.strip()[:200] or email,
        role=UserRole.ADMIN,
        status=UserStatus.INVITED,
    )
    session.add(admin)
    await session.flush()
    if claimed:
        # a domain's key is its name, not an id the audit trail could name: a statement
        await session.execute(
            insert(OrganisationDomain),
            [
                {"domain": d, "organisation_id": organisation.id, "created_at": utcnow()}
                for d in claimed
            ],
        )
    issued = await issue_token(
        session,
        organisation_id=organisation.id,
        created_by_user_id=admin.id,
        name=f"bootstrap for {email}",
        scopes=ALL_SCOPES,
        expires_at=utcnow() + BOOTSTRAP_LIFETIME,
        hashing_secret=hashing_secret,
    )
    return Onboarded(organisation, admin, issued.secret, claimed)
