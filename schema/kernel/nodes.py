"""Node types of the areas: fetched by global ID through their area's loader, read under
their area's scope; and the conversion of loaded rows into the type a field declares, so a
field reaching into another area needs only that area's loaders, never its types module.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.lazy_type import LazyType

from auth.scopes import Scope
from schema.kernel.ids import parse_global_id

if TYPE_CHECKING:  # the context composes every area's loaders: for annotations only
    from schema.context import Info
    from schema.loaders import Loaders


class AreaNode(relay.Node):
    """Base of the areas' node types. A subclass names the scope its objects are read
    under and the loader that fetches them by id (already scoped by the policy), and
    makes itself from a row with ``from_model``."""

    read_scope: ClassVar[Scope | None]
    """The scope a credential needs to read objects of this type; None: any."""

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        """The request's loader of this type's rows by id (None for those not visible)."""
        raise NotImplementedError

    @classmethod
    def from_model(cls, row: Any) -> Any:
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        ids = [uuid.UUID(i) for i in node_ids]
        if cls.read_scope is not None and not info.context.principal.has(cls.read_scope):
            return [None for _ in ids]
        rows = await cls.loader(info.context.loaders).load_many(ids)
        return [cls.from_model(row) if row is not None else None for row in rows]


def declared_type(info: Info) -> Any:
    """The object type the current field returns, unwrapped from lists and nulls and
    resolved if it is a lazy reference to another area's module."""
    found: Any = info.return_type
    while isinstance(found, StrawberryOptional | StrawberryList):
        found = found.of_type
    if isinstance(found, LazyType):
        found = found.resolve_type()
    return found


async def load_one(info: Info, loader: DataLoader[Any, Any], key: Any) -> Any:
    """The row ``loader`` finds for ``key``, as the field's declared type; None if none."""
    row = await loader.load(key)
    return declared_type(info).from_model(row) if row is not None else None


async def load_required(info: Info, loader: DataLoader[Any, Any], key: Any) -> Any:
    """Like ``load_one`` for a related object that is visible whenever its referrer is
    (row-level security and the policy agree); its absence is a bug, not a refusal."""
    found = await load_one(info, loader, key)
    if found is None:
        raise LookupError(f"{info.python_name}: {key} is not visible")
    return found


async def load_list(info: Info, loader: DataLoader[Any, list[Any]], key: Any) -> list[Any]:
    """The rows ``loader`` finds for ``key``, each as the field's declared type."""
    node_type = declared_type(info)
    return [node_type.from_model(row) for row in await loader.load(key)]


def node_class(info: Info, type_name: str) -> type[relay.Node] | None:
    """The node type the schema calls ``type_name`` (for global IDs), if there is one."""
    definition = info.schema.get_type_by_name(type_name)
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) and issubclass(origin, relay.Node) else None


async def nodes_by_global_id(
    info: Info, ids: Sequence[str], *, field: str
) -> list[relay.Node | None]:
    """The objects global IDs name, in order; None for each that does not exist, is not
    visible, or names no node type. A malformed ID is ``BadInput`` on ``field``."""
    wanted: list[tuple[type[relay.Node], str] | None] = []
    for value in ids:
        type_name, object_id = parse_global_id(value, field)
        node_type = node_class(info, type_name)
        wanted.append((node_type, str(object_id)) if node_type else None)

    async def one(item: tuple[type[relay.Node], str] | None) -> relay.Node | None:
        if item is None:
            return None
        node_type, object_id = item
        found = await node_type.resolve_nodes(info=info, node_ids=[object_id])  # type: ignore[misc]
        return next(iter(found))

    # concurrently, so each type's DataLoader loads all its ids in one statement
    return list(await asyncio.gather(*(one(item) for item in wanted)))
