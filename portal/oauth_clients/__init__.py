"""OAuth 2.0 clients of an organisation: registered, listed, rotated and revoked by its
admins. Its modules are ``redirects.py`` (which redirect URIs may be registered) and
``service.py``; this is the surface other packages use: ``from portal import oauth_clients``."""

from __future__ import annotations

from portal.oauth_clients.redirects import MAX_REDIRECT_URIS, check_redirect_uris
from portal.oauth_clients.service import (
    CLIENT_ID_PREFIX,
    CLIENT_SECRET_PREFIX,
    NAME_MAX,
    IssuedClient,
    hash_client_secret,
    oauth_clients,
    register_oauth_client,
    revoke_oauth_client,
    rotate_oauth_client_secret,
    verify_client_secret,
)

__all__ = [
    "CLIENT_ID_PREFIX",
    "CLIENT_SECRET_PREFIX",
    "MAX_REDIRECT_URIS",
    "NAME_MAX",
    "IssuedClient",
    "check_redirect_uris",
    "hash_client_secret",
    "oauth_clients",
    "register_oauth_client",
    "revoke_oauth_client",
    "rotate_oauth_client_secret",
    "verify_client_secret",
]
