"""Per-organisation API tokens: issued, listed and revoked. Its modules are ``service.py``;
this is the surface other packages use: ``from portal import api_tokens``."""

from __future__ import annotations

from portal.api_tokens.service import (
    MAX_LIFETIME,
    NAME_MAX,
    IssuedToken,
    create_api_token,
    issue_token,
    revoke_api_token,
)

__all__ = [
    "MAX_LIFETIME",
    "NAME_MAX",
    "IssuedToken",
    "create_api_token",
    "issue_token",
    "revoke_api_token",
]
