"""Which redirect URIs a client may register (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §4.1).

The authorization endpoint later compares a request's redirect URI with the registered ones
exactly, character for character; this decides what may be registered at all: an absolute
URI without fragment or wildcard that goes to a web origin over https, to the person's own
machine over http (a native app's loopback listener), or to a native app by a private-use
scheme in reverse-domain form (``com.example.app:/callback``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from portal.kernel.errors import BadInput

MAX_REDIRECT_URIS = 10
URI_MAX = 2000
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f*]")
"""Whitespace, control characters, and ``*``: no wildcard matches anything at the exact
comparison, so a URI with one is a mistake (or an attempt)."""


def _problem(uri: str) -> str | None:
    """Why ``uri`` may not be registered, if it may not."""
    if len(uri) > URI_MAX:
        return f"has more than {URI_MAX} characters"
    if _UNSAFE.search(uri):
        return "contains a wildcard, a space or a control character"
    if "#" in uri:
        return "has a fragment"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "is not a valid URI"
    scheme = parts.scheme.lower()
    if not scheme or not _SCHEME.fullmatch(scheme):
        return "is not absolute (it needs a scheme such as https:)"
    if scheme in ("http", "https"):
        if not parts.hostname:
            return "has no host"
        if parts.username is not None or parts.password is not None:
            return "carries a user name or password"
        if scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
            return "uses http off the loopback interface: use https"
        return None
    # a private-use scheme names a domain its app's publisher controls (RFC 8252 §7.1);
    # the dot also keeps out javascript:, data:, file: and the like
    if "." not in scheme:
        return "uses a scheme that is neither https nor reverse-domain (com.example.app:/cb)"
    if not (parts.path or parts.netloc):
        return "has nothing after its scheme"
    return None


def check_redirect_uris(uris: Sequence[str]) -> list[str]:
    """The URIs to register, in the order given without repeats, if every one may be."""
    unique = list(dict.fromkeys(uris))
    if not unique:
        raise BadInput("register at least one redirect URI", field="redirectUris")
    if len(unique) > MAX_REDIRECT_URIS:
        raise BadInput(f"at most {MAX_REDIRECT_URIS} redirect URIs", field="redirectUris")
    for uri in unique:
        problem = _problem(uri)
        if problem is not None:
            shown = uri if len(uri) <= 100 else uri[:100] + "…"
            raise BadInput(f"the redirect URI {shown!r} {problem}", field="redirectUris")
    return unique
