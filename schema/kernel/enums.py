"""Enums that several areas of the schema share, registered with strawberry once here.

Import them from this module (not from ``db.enums``) in schema code, so the registration
has always happened before a type uses them.
"""

from __future__ import annotations

import strawberry

from db.enums import CredentialKind, Visibility

strawberry.enum(
    Visibility,
    name="Visibility",
    description="Who in an alliance may see an object (SPEC §4): ALLIANCE (every member), "
    "COMMITTEE (organisations holding a seat on the named committee) or ORGANISATIONS (the "
    "listed member organisations). Owners, contributors and the raisers of issues always "
    "see their own.",
)
strawberry.enum(
    CredentialKind,
    name="CredentialKind",
    description="How an act reached the portal: API_TOKEN (an organisation's token), "
    "OPERATOR (the command line) or SYSTEM (the server's scheduled jobs).",
)

__all__ = ["CredentialKind", "Visibility"]
