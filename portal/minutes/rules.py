"""Pure rules of minutes: limits, who may read new minutes, the text."""

from __future__ import annotations

from dataclasses import dataclass

from db.enums import Visibility
from portal.kernel.errors import BadInput

BODY_MAX = 200_000
REASON_MAX = 5_000


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may read new minutes: ``visibility`` and, for ``ORGANISATIONS``, the slugs of
    the member organisations listed."""

    visibility: Visibility = Visibility.COMMITTEE
    organisation_slugs: tuple[str, ...] = ()


def check_body(body: str) -> str:
    """The minutes' text: not blank and within its limit."""
    if not body.strip():
        raise BadInput("the minutes need a text", field="body")
    if len(body) > BODY_MAX:
        raise BadInput(f"the text is limited to {BODY_MAX} characters", field="body")
    return body
