"""The IP register: assets, their owner organisations and access requests. Its modules are
``queries.py``, ``service.py``; this is the surface other packages use: ``from portal import
ip_assets``."""

from __future__ import annotations

from portal.ip_assets.queries import (
    AccessDirection,
    AccessRequestFilter,
    IpAssetFilter,
    alliance_access_requests,
    alliance_ip_assets,
    get_access_request,
    get_ip_asset,
    owns,
    require_read,
    require_write,
)
from portal.ip_assets.service import (
    REGISTER_OPERATION,
    REQUEST_OPERATION,
    TEXT_MAX,
    TITLE_MAX,
    AccessDecision,
    add_ip_owner,
    answer_ip_access_request,
    register_ip_asset,
    remove_ip_owner,
    request_ip_access,
    update_ip_asset,
    withdraw_ip_access_request,
)

__all__ = [
    "REGISTER_OPERATION",
    "REQUEST_OPERATION",
    "TEXT_MAX",
    "TITLE_MAX",
    "AccessDecision",
    "AccessDirection",
    "AccessRequestFilter",
    "IpAssetFilter",
    "add_ip_owner",
    "alliance_access_requests",
    "alliance_ip_assets",
    "answer_ip_access_request",
    "get_access_request",
    "get_ip_asset",
    "owns",
    "register_ip_asset",
    "remove_ip_owner",
    "request_ip_access",
    "require_read",
    "require_write",
    "update_ip_asset",
    "withdraw_ip_access_request",
]
