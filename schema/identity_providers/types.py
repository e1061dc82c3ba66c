"""The identity provider type. Organisation admins only; its client secret is never shown."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import identity
from schema.kernel.nodes import AreaNode

if TYPE_CHECKING:
    from schema.loaders import Loaders


@strawberry.type(description="A value of the role claim and the portal role it gives.")
class RoleMapping:
    value: str = strawberry.field(description="The value, as the provider's tokens carry it.")
    role: str = strawberry.field(description="The portal role: admin, member or viewer.")


@strawberry.type(
    description="Your organisation's OpenID Connect provider: where its people sign in, "
    "and how its tokens become people of the organisation. Visible to your organisation's "
    "admins. The client secret is stored encrypted and never shown."
)
class IdentityProvider(AreaNode):
    db_id: relay.NodeID[str]
    issuer: str = strawberry.field(description="The issuer identifier, exactly as tokens name it.")
    client_id: str = strawberry.field(description="The portal's client id at the provider.")
    audience: str | None = strawberry.field(
        description="The audience the provider's access tokens name for the portal."
    )
    algorithms: list[str] = strawberry.field(
        description="The signing algorithms accepted from the provider."
    )
    subject_claim: str = strawberry.field(description="The claim naming the person (the subject).")
    email_claim: str = strawberry.field(description="The claim with the person's e-mail address.")
    name_claim: str = strawberry.field(description="The claim with the person's name.")
    role_claim: str | None = strawberry.field(
        description="The claim with the person's groups or roles, if roles come from it."
    )
    role_values: list[RoleMapping] = strawberry.field(
        description="Which role-claim values give which portal role (the highest one wins)."
    )
    tenant_claim: str | None = strawberry.field(
        description="For a provider serving several organisations: the claim naming the tenant."
    )
    tenant_ids: list[str] = strawberry.field(
        description="The tenants (values of tenantClaim) that are your organisation."
    )
    provision_unknown: bool = strawberry.field(
        description="Whether a person not invited becomes a viewer at their first sign-in."
    )
    accept_access_tokens: bool = strawberry.field(
        description="Whether the provider's own access tokens are accepted as bearer tokens."
    )
    authorization_endpoint: str = strawberry.field(
        description="Where people are sent to sign in (from the provider's discovery document)."
    )
    jwks_uri: str = strawberry.field(
        description="Where the provider's signing keys are (from its discovery document)."
    )
    created_at: dt.datetime = strawberry.field(description="When it was first registered.")
    updated_at: dt.datetime = strawberry.field(description="When it was last registered.")

    @classmethod
    def from_model(cls, row: identity.IdentityProvider) -> IdentityProvider:
        return cls(
            db_id=str(row.id),
            issuer=row.issuer,
            client_id=row.client_id,
            audience=row.audience,
            algorithms=list(row.algorithms),
            subject_claim=row.subject_claim,
            email_claim=row.email_claim,
            name_claim=row.name_claim,
            role_claim=row.role_claim,
            role_values=[
                RoleMapping(value=value, role=str(role))
                for value, role in sorted(row.role_values.items())
            ],
            tenant_claim=row.tenant_claim,
            tenant_ids=list(row.tenant_ids),
            provision_unknown=row.provision_unknown,
            accept_access_tokens=row.accept_access_tokens,
            authorization_endpoint=str(row.metadata_["authorization_endpoint"]),
            jwks_uri=str(row.metadata_["jwks_uri"]),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    read_scope = Scope.ADMIN

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.identity_providers.by_id
