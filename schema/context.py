"""The typed context every resolver receives."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from auth.principal import Principal
from db.session import LockedSession
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
    cost: int | None = None
    """The operation's requested cost, once known: what the budget is charged."""
    requested_cost: int | None = None
    """The operation's requested cost, once the limits and the budget let it through."""
    charged: bool = False
    """The cost was charged in the operation's transaction, which committed."""


Info = StrawberryInfo[Context, None]
