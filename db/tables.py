"""Every mapped model, imported in one place, and the tables that hold tenant data."""

from __future__ import annotations

from db import governance, identity, models, persisted, portfolio
from db.models import Base

MODULES = (models, governance, portfolio, persisted, identity)

TENANT_TABLES: tuple[str, ...] = tuple(Base.metadata.tables)
"""Every table holds tenant data; each must have forced row-level security (tested)."""
