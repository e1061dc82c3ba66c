"""What the IP assets mutations take: their input types."""

from __future__ import annotations

import strawberry

from schema.ip_assets.enums import AccessDecision, IpKind
from schema.kernel.enums import Visibility

_IDEMPOTENCY = (
    "Optional: a key of your choice (1-200 characters). Sending the same input with the "
    "same key again returns the first result instead of creating twice; the same key with "
    "a different input is refused (CONFLICT)."
)


@strawberry.input(
    description="Register an IP asset. Any current member organisation, with ip:write; your "
    "organisation becomes an owner, and the co-owners you name (current members) too. "
    "Owners always see the asset, whatever its visibility."
)
class RegisterIpAssetInput:
    alliance: strawberry.ID = strawberry.field(description="The alliance's ID.")
    kind: IpKind = strawberry.field(description="BACKGROUND or FOREGROUND.")
    title: str = strawberry.field(description="What the asset is (1-200 characters).")
    description: str = strawberry.field(
        default="", description="The asset in detail (up to 20,000 characters)."
    )
    licence_terms: str = strawberry.field(
        default="", description="The licence terms (up to 20,000 characters)."
    )
    plan: strawberry.ID | None = strawberry.field(
        default=None,
        description="A related research plan (a Plan ID) of the same alliance that you can see.",
    )
    visibility: Visibility = strawberry.field(
        default=Visibility.ALLIANCE,
        description="Who sees it besides the owners: ALLIANCE (default, every member), "
        "COMMITTEE (seat holders of visibilityCommittee) or ORGANISATIONS (those listed in "
        "audience).",
    )
    visibility_committee: strawberry.ID | None = strawberry.field(
        default=None,
        description="With visibility COMMITTEE (required then): a committee of the "
        "alliance. Not allowed otherwise.",
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With visibility ORGANISATIONS: slugs of the member organisations to "
        "share it with (none: the owners only). Not allowed otherwise.",
    )
    co_owners: list[str] | None = strawberry.field(
        default=None,
        description="Slugs of other current member organisations that own the asset with yours.",
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY)


@strawberry.input(
    description="Edit an IP asset. Any owner organisation, with ip:write; other members get "
    "FORBIDDEN. Omitted fields stay as they are. To change who sees it, send visibility "
    "(with visibilityCommittee or audience as it needs); an ORGANISATIONS audience "
    "is replaced by the organisations listed."
)
class UpdateIpAssetInput:
    asset: strawberry.ID = strawberry.field(description="The asset's ID.")
    version: int = strawberry.field(
        description="The version you edited; if it changed meanwhile you get CONFLICT."
    )
    title: str | None = strawberry.field(default=None, description="New title.")
    description: str | None = strawberry.field(default=None, description="New description.")
    licence_terms: str | None = strawberry.field(default=None, description="New licence terms.")
    visibility: Visibility | None = strawberry.field(
        default=None, description="New visibility; the owners always see the asset."
    )
    visibility_committee: strawberry.ID | None = strawberry.field(
        default=None, description="With visibility COMMITTEE (required then): the committee."
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With visibility ORGANISATIONS: slugs of the member organisations it is "
        "shared with; must include those it was already shared with.",
    )


@strawberry.input(
    description="Make another current member organisation a co-owner. Any owner "
    "organisation, with ip:write."
)
class AddIpOwnerInput:
    asset: strawberry.ID = strawberry.field(description="The asset's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )
    organisation_slug: str = strawberry.field(description="Slug of the new owner organisation.")


@strawberry.input(
    description="Remove an owner organisation (your own included). Any owner organisation, "
    "with ip:write; an asset keeps at least one owner."
)
class RemoveIpOwnerInput:
    asset: strawberry.ID = strawberry.field(description="The asset's ID.")
    version: int = strawberry.field(
        description="The version you saw; if it changed meanwhile you get CONFLICT."
    )
    organisation_slug: str = strawberry.field(description="Slug of the owner to remove.")


@strawberry.input(
    description="Ask for access rights to an IP asset. A current member organisation that "
    "can see the asset and does not own it, with ip:write. One pending request per "
    "organisation and asset: another gets CONFLICT."
)
class RequestIpAccessInput:
    asset: strawberry.ID = strawberry.field(description="The asset's ID.")
    purpose: str = strawberry.field(
        description="What you want to use it for (1-20,000 characters)."
    )
    idempotency_key: str | None = strawberry.field(default=None, description=_IDEMPOTENCY)


@strawberry.input(
    description="Grant or refuse a pending access request. Any owner organisation of the "
    "asset, with ip:write, but never the requesting organisation itself (FORBIDDEN). A "
    "request already answered or withdrawn gets CONFLICT."
)
class AnswerIpAccessRequestInput:
    request: strawberry.ID = strawberry.field(description="The access request's ID.")
    decision: AccessDecision = strawberry.field(description="GRANT or REFUSE.")
    answer: str = strawberry.field(
        description="The answer for the requester: terms, reasons (1-20,000 characters)."
    )


@strawberry.input(
    description="Withdraw your organisation's pending access request. The requesting "
    "organisation only, with ip:write; an answered request gets CONFLICT."
)
class WithdrawIpAccessRequestInput:
    request: strawberry.ID = strawberry.field(description="The access request's ID.")
