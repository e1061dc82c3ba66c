"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): which media type
to answer in, which bodies are JSON, and what status a request error gets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Any

from strawberry.http import GraphQLHTTPResponse

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
CONTENT_TYPES = {JSON: JSON, GRAPHQL_RESPONSE: f"{GRAPHQL_RESPONSE}; charset=utf-8"}
"""The media types of GraphQL over HTTP the endpoint answers in, with their Content-Type."""
METHODS = ("GET", "POST")


UTF_8 = {None, "utf-8", "utf8"}
"""The charsets a JSON body may declare (none means UTF-8, as JSON is)."""


def _parameter(parameters: str, name: str) -> str | None:
    """The value of one ``;``-separated parameter of a header value, unquoted."""
    for parameter in parameters.split(";"):
        key, _, value = parameter.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"')
    return None


@dataclass(frozen=True)
class _MediaRange:
    """One entry of an Accept header: ``type/subtype;q=quality``, and where it was listed."""

    type: str
    subtype: str
    quality: float
    position: int

    def specificity(self, media_type: str) -> int | None:
        """How closely this range names ``media_type``: 2 exactly, 1 as ``type/*``, 0 as
        ``*/*``; None if it does not match it."""
        kind, _, subtype = media_type.partition("/")
        if (self.type, self.subtype) == (kind, subtype):
            return 2
        if (self.type, self.subtype) == (kind, "*"):
            return 1
        return 0 if (self.type, self.subtype) == ("*", "*") else None


def _media_ranges(accept: str) -> list[_MediaRange]:
    """The entries of an Accept header; malformed ones (no ``/``, a bad ``q``) are left out."""
    ranges = []
    for position, entry in enumerate(accept.split(",")):
        name, _, parameters = entry.partition(";")
        kind, slash, subtype = name.strip().lower().partition("/")
        try:
            quality = float(_parameter(parameters, "q") or 1)
        except ValueError:
            continue
        if slash and 0 <= quality <= 1:
            ranges.append(_MediaRange(kind, subtype, quality, position))
    return ranges


def _preference(media_type: str, ranges: list[_MediaRange]) -> tuple[float, int, int] | None:
    """How much the client wants ``media_type``, comparable between types: the quality the
    most specific matching range gives it, then that range's specificity, then how early it
    was listed. None if no range allows it."""
    matches = [
        (specificity, -r.position, r)
        for r in ranges
        if (specificity := r.specificity(media_type)) is not None
    ]
    if not matches:
        return None
    specificity, order, chosen = max(matches, key=lambda match: match[:2])
    return None if chosen.quality == 0 else (chosen.quality, specificity, order)


def negotiate(accept: str | None) -> str | None:
    """The media type to answer a request in, from its Accept header; None if it allows
    neither ``application/graphql-response+json`` nor ``application/json``.

    No Accept header means ``application/json``: what clients written before
    graphql-response+json expect (the spec lets the server choose; the audit asks for this).
    A tie (``*/*``, ``application/*``) also goes to ``application/json``, as the spec's legacy
    rules and the audit want; a client that lists graphql-response+json gets it."""
    if accept is None or not accept.strip():
        return JSON
    ranges = _media_ranges(accept)
    best: tuple[tuple[float, int, int], str] | None = None
    for media_type in (JSON, GRAPHQL_RESPONSE):  # JSON first: it keeps a tie
        preference = _preference(media_type, ranges)
        if preference is not None and (best is None or preference > best[0]):
            best = (preference, media_type)
    return None if best is None else best[1]


def is_json_body(content_type: str | None) -> bool:
    """Whether a POST body is declared as JSON in UTF-8, the one encoding the spec requires
    servers to read (and the only one this one reads). Media types ignore case."""
    header = Message()
    header["content-type"] = content_type or ""
    return header.get_content_type() == JSON and header.get_content_charset() in UTF_8


def is_request_error(result: GraphQLHTTPResponse) -> bool:
    """Whether a result reports a request error: one raised before execution (parsing,
    validation, variables, the document limits), so without data, and with no error
    pointing at a field (execution errors always do)."""
    errors = result.get("errors")
    return (
        result.get("data") is None
        and bool(errors)
        and all(isinstance(error, dict) and "path" not in error for error in errors or ())
    )


def request_error_status(media_type: str, *, internal: bool = False) -> int:
    """The spec's status for a request error: 200 in legacy application/json (the one status
    those clients read a body for), else 400, or 500 when the fault was the server's."""
    if media_type == JSON:
        return 200
    return 500 if internal else 400


def error_document(code: str, message: str) -> dict[str, Any]:
    """The body of a refusal made outside GraphQL execution, shaped as GraphQL's errors."""
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def _extensions(result: GraphQLHTTPResponse) -> Iterator[dict[str, Any]]:
    for error in result.get("errors") or ():
        if isinstance(error, dict):
            yield error.get("extensions") or {}


def retry_after(result: GraphQLHTTPResponse) -> int | None:
    """The seconds to wait when the operation was refused for its budget (RATE_LIMITED,
    answered with HTTP 429 and ``Retry-After``), or None."""
    for extensions in _extensions(result):
        if extensions.get("code") == "RATE_LIMITED":
            return int(extensions.get("retryAfter", 60))
    return None


def is_internal(result: GraphQLHTTPResponse) -> bool:
    """Whether the server's own fault is among the errors."""
    return any(extensions.get("code") == "INTERNAL" for extensions in _extensions(result))
