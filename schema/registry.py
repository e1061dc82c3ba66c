"""Every Relay node type by GraphQL name, for ``node``/``nodes``."""

from __future__ import annotations

from strawberry import relay

from schema import (
    action_items,
    committees,
    contributions,
    decisions,
    ip_assets,
    issues,
    meetings,
    minutes,
    plans,
)
from schema.alliances import Alliance, Membership
from schema.api_tokens import ApiToken
from schema.organisations import Organisation

NODE_TYPES: dict[str, type[relay.Node]] = {
    "Organisation": Organisation,
    "Alliance": Alliance,
    "Membership": Membership,
    "ApiToken": ApiToken,
    **committees.NODE_TYPES,
    **meetings.NODE_TYPES,
    **action_items.NODE_TYPES,
    **minutes.NODE_TYPES,
    **decisions.NODE_TYPES,
    **issues.NODE_TYPES,
    **plans.NODE_TYPES,
    **contributions.NODE_TYPES,
    **ip_assets.NODE_TYPES,
}
