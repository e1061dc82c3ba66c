"""An organisation's identity provider: registered (or registered again, which replaces the
registration), read and removed by the organisation's admins.

One provider per organisation. Registering checks the input, then that no other
organisation already signs in through the same issuer without a disjoint tenant, then the
provider itself over HTTP (``discovery``); only when all hold is the row written. The
client secret is stored sealed (``portal.signin.sealing``) and never read back here: the
application role cannot select it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import String, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import UserRole
from db.identity import IdentityProvider
from db.models import utcnow
from db.session import LockedSession
from portal.identity_providers.discovery import check_algorithms, check_issuer, discover
from portal.kernel.errors import BadInput, NotFound
from portal.signin.sealing import seal

CLIENT_SECRET_PURPOSE = "identity_providers.client_secret"  # noqa: S105 - a label, not a secret
"""What the client secret is sealed for: ``unseal(key, sealed, purpose=CLIENT_SECRET_PURPOSE)``."""
ISSUER_MAX = 500
CLIENT_ID_MAX = 255
CLIENT_SECRET_MAX = 2000
AUDIENCE_MAX = 500
CLAIM_MAX = 100
VALUE_MAX = 255
MAX_ROLE_VALUES = 100
MAX_TENANT_IDS = 100


@dataclass(frozen=True, slots=True)
class ClaimNames:
    """Which claims of the provider's tokens say who the person is."""

    subject: str = "sub"
    email: str = "email"
    name: str = "name"
    role: str | None = None
    """A claim listing the person's groups or roles (mapped by ``role_values``); None: no
    role comes from the provider."""


@dataclass(frozen=True, slots=True)
class Registration:
    """What an admin registers: the provider, the portal's client there, and the rules by
    which its tokens become people of the organisation."""

    issuer: str
    client_id: str
    client_secret: str | None = None
    """None: the portal is a public client there (PKCE only)."""
    audience: str | None = None
    """The ``aud`` the provider's access tokens name for the portal (``accept_access_tokens``)."""
    algorithms: Sequence[str] = ("RS256",)
    claims: ClaimNames = ClaimNames()
    role_values: Mapping[str, str] = field(default_factory=dict)
    """Values of the role claim and the portal role (admin, member, viewer) each maps to."""
    tenant_claim: str | None = None
    """For a provider serving several organisations: the claim naming the tenant."""
    tenant_ids: Sequence[str] = ()
    """The tenants (values of ``tenant_claim``) that are this organisation."""
    provision_unknown: bool = False
    """Whether a person the portal does not know becomes a viewer at their first sign-in."""
    accept_access_tokens: bool = False
    """Whether the provider's own access tokens (naming ``audience``) are accepted as bearers."""


def _text(value: str, maximum: int, field: str, what: str) -> str:
    value = value.strip()
    if not (0 < len(value) <= maximum):
        raise BadInput(f"{what} must have 1 to {maximum} characters", field=field)
    return value


def _optional(value: str | None, maximum: int, field: str, what: str) -> str | None:
    return _text(value, maximum, field, what) if value and value.strip() else None


def _role_values(values: Mapping[str, str], role_claim: str | None) -> dict[str, str]:
    if values and role_claim is None:
        raise BadInput("role values need a role claim to read them from", field="roleValues")
    if len(values) > MAX_ROLE_VALUES:
        raise BadInput(f"at most {MAX_ROLE_VALUES} role values", field="roleValues")
    roles = {role.value for role in UserRole}
    mapped = {}
    for value, role in values.items():
        if role not in roles:
            raise BadInput(
                f"{role!r} is not a portal role: use {', '.join(sorted(roles))}",
                field="roleValues",
            )
        mapped[_text(value, VALUE_MAX, "roleValues", "a role claim value")] = role
    return mapped


def _tenant_ids(claim: str | None, ids: Sequence[str]) -> list[str]:
    cleaned = sorted({_text(value, VALUE_MAX, "tenantIds", "a tenant id") for value in ids})
    if claim is None and cleaned:
        raise BadInput("tenant ids need a tenant claim to read them from", field="tenantIds")
    if claim is not None and not cleaned:
        raise BadInput("name the tenant ids that are your organisation", field="tenantIds")
    if len(cleaned) > MAX_TENANT_IDS:
        raise BadInput(f"at most {MAX_TENANT_IDS} tenant ids", field="tenantIds")
    return cleaned


def _checked(registration: Registration) -> Registration:
    """The registration with its text trimmed, once every rule that needs no network holds."""
    if len(registration.issuer) > ISSUER_MAX:
        raise BadInput(f"the issuer has at most {ISSUER_MAX} characters", field="issuer")
    claims = registration.claims
    role_claim = _optional(claims.role, CLAIM_MAX, "roleClaim", "the role claim")
    tenant_claim = _optional(registration.tenant_claim, CLAIM_MAX, "tenantClaim", "the claim")
    audience = _optional(registration.audience, AUDIENCE_MAX, "audience", "the audience")
    if registration.accept_access_tokens and audience is None:
        raise BadInput(
            "accepting the provider's access tokens needs the audience they name",
            field="audience",
        )
    secret = registration.client_secret
    if secret is not None and not (0 < len(secret) <= CLIENT_SECRET_MAX):
        raise BadInput(
            f"the client secret has 1 to {CLIENT_SECRET_MAX} characters", field="clientSecret"
        )
    return Registration(
        issuer=check_issuer(registration.issuer),
        client_id=_text(registration.client_id, CLIENT_ID_MAX, "clientId", "the client id"),
        client_secret=secret,
        audience=audience,
        algorithms=check_algorithms(registration.algorithms),
        claims=ClaimNames(
            subject=_text(claims.subject, CLAIM_MAX, "subjectClaim", "the subject claim"),
            email=_text(claims.email, CLAIM_MAX, "emailClaim", "the e-mail claim"),
            name=_text(claims.name, CLAIM_MAX, "nameClaim", "the name claim"),
            role=role_claim,
        ),
        role_values=_role_values(registration.role_values, role_claim),
        tenant_claim=tenant_claim,
        tenant_ids=_tenant_ids(tenant_claim, registration.tenant_ids),
        provision_unknown=registration.provision_unknown,
        accept_access_tokens=registration.accept_access_tokens,
    )


async def _lock(session: LockedSession, key: str) -> None:
    """A lock on ``key`` held to the end of the transaction."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def _refuse_taken_issuer(session: LockedSession, issuer: str, tenant_ids: list[str]) -> None:
    """Refuse an issuer another organisation signs in through, unless both name disjoint
    tenants. The answer never says which organisation (``portal_issuer_taken`` is a yes or
    no about the caller's candidate)."""
    taken = await session.scalar(
        select(func.portal_issuer_taken(issuer, literal(tenant_ids, ARRAY(String))))
    )
    if taken:
        raise BadInput(
            "another organisation already signs in through this issuer: a provider serving "
            "several organisations needs a tenant claim, with tenant ids no other "
            "organisation uses",
            field="issuer",
        )


async def register_identity_provider(
    session: LockedSession,
    principal: Principal,
    registration: Registration,
    *,
    sealing_key: bytes,
    seconds: float,
) -> IdentityProvider:
    """Register the organisation's identity provider, or replace its registration: every
    setting, the client secret included (None: no secret), is the one given now. Admins
    only. Nothing is stored unless the input, the tenant rule and the provider's discovery
    document and key set all pass (``seconds``: the wait per request to the provider)."""
    policy.require_scope(principal, Scope.ADMIN)
    checked = _checked(registration)
    algorithms = list(checked.algorithms)
    tenant_ids = list(checked.tenant_ids)
    # Locks, always the organisation's then the issuer's, to the end of the transaction: two
    # registrations at once can neither both pass the tenant rule nor both insert the
    # organisation's one row. Held while the provider is asked; only such registrations wait.
    await _lock(session, f"identity_providers.organisation:{principal.organisation_id}")
    await _lock(session, f"identity_providers.issuer:{checked.issuer}")
    await _refuse_taken_issuer(session, checked.issuer, tenant_ids)
    metadata = await discover(checked.issuer, algorithms, seconds=seconds)

    provider = await session.scalar(policy.own_identity_provider(principal).with_for_update())
    if provider is None:
        provider = IdentityProvider(
            organisation_id=principal.organisation_id, created_by_user_id=principal.user_id
        )
        session.add(provider)
    provider.issuer = checked.issuer
    provider.client_id = checked.client_id
    provider.client_secret_encrypted = (
        seal(sealing_key, checked.client_secret, purpose=CLIENT_SECRET_PURPOSE)
        if checked.client_secret is not None
        else None
    )
    provider.audience = checked.audience
    provider.algorithms = algorithms
    provider.subject_claim = checked.claims.subject
    provider.email_claim = checked.claims.email
    provider.name_claim = checked.claims.name
    provider.role_claim = checked.claims.role
    provider.role_values = dict(checked.role_values)
    provider.tenant_claim = checked.tenant_claim
    provider.tenant_ids = tenant_ids
    provider.provision_unknown = checked.provision_unknown
    provider.accept_access_tokens = checked.accept_access_tokens
    provider.metadata_ = metadata
    provider.updated_at = utcnow()
    await session.flush()
    return provider


async def identity_provider(
    session: LockedSession, principal: Principal
) -> IdentityProvider | None:
    """The organisation's identity provider, if it registered one (admins only)."""
    policy.require_scope(principal, Scope.ADMIN)
    found: IdentityProvider | None = await session.scalar(policy.own_identity_provider(principal))
    return found


async def remove_identity_provider(
    session: LockedSession, principal: Principal, provider_id: uuid.UUID
) -> uuid.UUID:
    """Remove the organisation's identity provider: nobody can sign in through it any more
    (people and their existing sign-ins stay until revoked). Admins only."""
    policy.require_scope(principal, Scope.ADMIN)
    provider = await session.scalar(
        policy.own_identity_provider(principal)
        .where(IdentityProvider.id == provider_id)
        .with_for_update()
    )
    if provider is None:
        raise NotFound("no such identity provider", field="identityProvider")
    await session.delete(provider)
    await session.flush()
    return provider_id
