"""What the identity provider mutations take: their input types."""

from __future__ import annotations

import strawberry

from portal.identity_providers import ALLOWED_ALGORITHMS


@strawberry.input(description="A value of the role claim and the portal role it gives.")
class RoleMappingInput:
    value: str = strawberry.field(description="The value, as the provider's tokens carry it.")
    role: str = strawberry.field(description="The portal role: admin, member or viewer.")


@strawberry.input(
    description="Register your organisation's OpenID Connect provider, or replace its "
    "registration (one per organisation: every setting, the client secret included, is the "
    "one given now). Admins only. The portal fetches the issuer's discovery document and "
    "key set first; nothing is stored unless both check out."
)
class RegisterIdentityProviderInput:
    issuer: str = strawberry.field(
        description="The issuer identifier, exactly as the provider's discovery document and "
        "tokens name it: an https URL without query or fragment (http only on 127.0.0.1 or "
        "localhost)."
    )
    client_id: str = strawberry.field(description="The portal's client id at the provider.")
    client_secret: str | None = strawberry.field(
        default=None,
        description="The portal's client secret there; stored encrypted, never shown again. "
        "Omit it for a public client (PKCE only).",
    )
    audience: str | None = strawberry.field(
        default=None,
        description="The audience the provider's access tokens name for the portal; needed "
        "with acceptAccessTokens.",
    )
    algorithms: list[str] = strawberry.field(
        description="The signing algorithms to accept, which the provider must list: "
        + ", ".join(sorted(ALLOWED_ALGORITHMS))
        + " (never none, never a shared-secret HS algorithm)."
    )
    subject_claim: str = strawberry.field(
        default="sub", description="The claim naming the person (default sub)."
    )
    email_claim: str = strawberry.field(
        default="email", description="The claim with the person's e-mail address."
    )
    name_claim: str = strawberry.field(default="name", description="The claim with the name.")
    role_claim: str | None = strawberry.field(
        default=None, description="The claim with the person's groups or roles, if any."
    )
    role_values: list[RoleMappingInput] = strawberry.field(
        default_factory=list,
        description="Which values of roleClaim give which portal role (at most 100).",
    )
    tenant_claim: str | None = strawberry.field(
        default=None,
        description="For a provider serving several organisations: the claim naming the "
        "tenant. Another organisation may register the same issuer only with tenant ids "
        "disjoint from yours.",
    )
    tenant_ids: list[str] = strawberry.field(
        default_factory=list,
        description="The tenants (values of tenantClaim) that are your organisation.",
    )
    provision_unknown: bool = strawberry.field(
        default=False,
        description="Let a person the portal does not know in, as a viewer (or the role "
        "their role claim maps to), at their first sign-in. Off: invited people only.",
    )
    accept_access_tokens: bool = strawberry.field(
        default=False,
        description="Accept the provider's own access tokens (naming the audience) as "
        "bearer tokens of the API.",
    )


@strawberry.input(description="Remove your organisation's identity provider. Admins only.")
class RemoveIdentityProviderInput:
    identity_provider: strawberry.ID = strawberry.field(description="The provider's ID.")
