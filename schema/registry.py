"""Every Relay node type by GraphQL name, for ``node``/``nodes``."""

from __future__ import annotations

from strawberry import relay

from schema.alliances import Alliance, Membership
from schema.api_tokens import ApiToken
from schema.organisations import Organisation

NODE_TYPES: dict[str, type[relay.Node]] = {
    "Organisation": Organisation,
    "Alliance": Alliance,
    "Membership": Membership,
    "ApiToken": ApiToken,
}
