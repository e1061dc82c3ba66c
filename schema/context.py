"""The typed context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from auth.principal import Principal
from db.session import LockedSession
from portal.budget import Allowances
from portal.settings import Settings
from schema.loaders import Loaders


@dataclass
class Context:
    """One per GraphQL operation: one principal, one session, one transaction."""

    request: Request
    session: LockedSession
    principal: Principal
    settings: Settings
    loaders: Loaders
    failed: bool = field(default=False)
    """Set when the operation's result carries errors: its transaction is rolled back."""
    allowances: Allowances | None = None
    """The process's cost budget allowances (``portal.budget``); None: no budget."""
    requested_cost: int | None = None
    """The operation's requested cost, once the limits and the budget let it through."""
    taken: int | None = None
    """The cost taken from the budget before the operation ran (None: it never got there)."""


Info = StrawberryInfo[Context, None]
