"""Enums of the organisations area, registered with strawberry once here.

Schema code imports them from this module (not from where they are defined), so the
registration has always happened before a type uses them."""

from __future__ import annotations

import strawberry

from db.enums import OrganisationKind

strawberry.enum(OrganisationKind, name="OrganisationKind", description="What kind of body it is.")

__all__ = ["OrganisationKind"]
