"""Scopes declared on the schema: every root field, mutation and cross-area field says
which scope it needs, and a test walks the schema to keep it that way (default deny).

One behaviour for a credential that lacks the declared scope:

- a root query field or a mutation answers a top-level FORBIDDEN error;
- a nested field answers as if nothing were there to see: null for a nullable field, an
  empty list for a list; a non-null nested field answers FORBIDDEN;
- ``node``/``nodes`` answer null for an object whose type needs the missing scope.

Fields of a node type without a declaration of their own are read under the type's
``read_scope`` (``schema.kernel.nodes.AreaNode``): a field reaching into another area
declares that area's scope.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strawberry.extensions import FieldExtension
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

from auth.policy import MissingScope
from auth.scopes import Scope


class Needs(FieldExtension):
    """The scope a field needs (``None``: any authenticated credential may read it)."""

    def __init__(self, scope: Scope | None) -> None:
        self.scope = scope
        self._empty: Callable[[], Any] | None = None

    def apply(self, field: StrawberryField) -> None:
        self._empty = _empty_value(field)

    def _refused(self, info: Info[Any, Any]) -> bool:
        return self.scope is not None and not info.context.principal.has(self.scope)

    def _answer_refusal(self, info: Info[Any, Any]) -> Any:
        assert self.scope is not None
        if info.path.prev is None or self._empty is None:
            raise MissingScope(self.scope)
        return self._empty()

    def resolve(
        self, next_: Callable[..., Any], source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        if self._refused(info):
            return self._answer_refusal(info)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: Info[Any, Any],
        **kwargs: Any,
    ) -> Any:
        if self._refused(info):
            return self._answer_refusal(info)
        result = next_(source, info, **kwargs)
        return await result if isinstance(result, Awaitable) else result


def _empty_value(field: StrawberryField) -> Callable[[], Any] | None:
    """What a nested field answers when its scope is missing; None: refuse (non-null)."""
    if isinstance(field.type, StrawberryOptional):
        return lambda: None
    if isinstance(field.type, StrawberryList):
        return list
    return None


def declared_scope(field: StrawberryField) -> Needs | None:
    """The ``Needs`` a field declares, if it declares one."""
    return next((e for e in field.extensions if isinstance(e, Needs)), None)
