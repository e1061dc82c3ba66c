"""Every Relay node type by GraphQL name, for ``node``/``nodes``."""

from __future__ import annotations

from strawberry import relay

from schema.action_items import types as action_items
from schema.alliances.types import Alliance, Membership
from schema.api_tokens.types import ApiToken
from schema.committees import types as committees
from schema.contributions import types as contributions
from schema.decisions import types as decisions
from schema.identity_providers.types import IdentityProvider
from schema.ip_assets import types as ip_assets
from schema.issues import types as issues
from schema.meetings import types as meetings
from schema.minutes import types as minutes
from schema.oauth_clients.types import OAuthClient
from schema.organisations.types import Organisation
from schema.people.types import Person
from schema.plans import types as plans

NODE_TYPES: dict[str, type[relay.Node]] = {
    "Organisation": Organisation,
    "Alliance": Alliance,
    "Membership": Membership,
    "ApiToken": ApiToken,
    "Person": Person,
    "IdentityProvider": IdentityProvider,
    "OAuthClient": OAuthClient,
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
