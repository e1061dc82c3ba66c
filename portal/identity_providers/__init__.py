"""Organisations' identity providers: registered, read and removed by their admins. Its
modules are ``discovery.py`` (the provider over HTTP) and ``service.py``; this is the
surface other packages use: ``from portal import identity_providers``."""

from __future__ import annotations

from portal.identity_providers.discovery import ALLOWED_ALGORITHMS, discover
from portal.identity_providers.service import (
    CLIENT_SECRET_PURPOSE,
    ClaimNames,
    Registration,
    identity_provider,
    register_identity_provider,
    remove_identity_provider,
)

__all__ = [
    "ALLOWED_ALGORITHMS",
    "CLIENT_SECRET_PURPOSE",
    "ClaimNames",
    "Registration",
    "discover",
    "identity_provider",
    "register_identity_provider",
    "remove_identity_provider",
]
