"""Per-request DataLoaders (``XByYLoader``): nested fields cost one statement per level.

Every loader starts from a ``visible_*`` selection of ``auth.policy``, so batching never
widens what a principal sees.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select
from strawberry.dataloader import DataLoader

from auth import policy
from auth.principal import Principal
from db.enums import MembershipRole
from db.governance import VisibilityGrant
from db.models import Alliance, ApiToken, Membership, Organisation
from db.session import LockedSession
from schema.pagination import Ordering, PageRequest, paginate_many

Model = TypeVar("Model", Alliance, Membership, Organisation, ApiToken)

MEMBERS_BY_JOINED = Ordering("joined", (Membership.joined_at, Membership.id))


@dataclass(frozen=True, slots=True)
class MembersKey:
    alliance_id: uuid.UUID
    page: PageRequest
    roles: tuple[MembershipRole, ...] | None
    include_former: bool


MembersPage = tuple[list[Membership], bool, bool]


def _by_id(
    session: LockedSession, query: Callable[[], Select[Any]], model: type[Model]
) -> DataLoader[uuid.UUID, Model | None]:
    async def load(ids: Sequence[uuid.UUID]) -> list[Model | None]:
        rows: Sequence[Model] = (await session.scalars(query().where(model.id.in_(ids)))).all()
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


Key = TypeVar("Key")
Value = TypeVar("Value")


def by_id_loader(
    session: LockedSession, query: Select[Any], model: Any
) -> DataLoader[uuid.UUID, Any]:
    """Rows of ``query`` (a policy selection) by primary key; None for those not visible."""

    async def load(ids: Sequence[uuid.UUID]) -> list[Any]:
        rows = (await session.scalars(query.where(model.id.in_(ids)))).all()
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def grouped_loader(
    session: LockedSession, query: Select[Any], parent_column: Any, *order_by: Any
) -> DataLoader[uuid.UUID, list[Any]]:
    """All rows of ``query`` (a policy selection) per parent id, in ``order_by`` order: a
    nested list of any length in one statement."""

    async def load(parent_ids: Sequence[uuid.UUID]) -> list[list[Any]]:
        statement = query.where(parent_column.in_(parent_ids)).order_by(*order_by)
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in (await session.scalars(statement)).all():
            grouped[getattr(row, parent_column.key)].append(row)
        return [grouped.get(parent, []) for parent in parent_ids]

    return DataLoader(load_fn=load)


def audience_grants(
    loaders: Loaders, kind: str, visible_ids: Select[Any]
) -> DataLoader[uuid.UUID, list[VisibilityGrant]]:
    """Per object of ``kind``, the grants of its ORGANISATIONS audience, by organisation.
    ``visible_ids`` selects the ids of the objects the principal may see (a policy
    selection), so the grants of an object outside its view are never read."""
    return loaders.get(
        f"audience_grants_of_{kind}",
        lambda: grouped_loader(
            loaders.session,
            policy.alliance_records(loaders.principal, VisibilityGrant).where(
                VisibilityGrant.object_id.in_(visible_ids)
            ),
            VisibilityGrant.object_id,
            VisibilityGrant.organisation_id,
        ),
    )


class Loaders:
    """The loaders of one request. Areas add theirs on first use with ``get``."""

    def get(self, name: str, make: Callable[[], DataLoader[Key, Value]]) -> DataLoader[Key, Value]:
        """The request's loader called ``name``, made by ``make`` the first time."""
        loader = self._by_name.get(name)
        if loader is None:
            loader = self._by_name[name] = make()
        return loader

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self._by_name: dict[str, DataLoader[Any, Any]] = {}
        self.organisation_by_id = _by_id(
            session, lambda: policy.visible_organisations(principal), Organisation
        )
        self.alliance_by_id = _by_id(session, lambda: policy.visible_alliances(principal), Alliance)
        self.membership_by_id = _by_id(
            session, lambda: policy.visible_memberships(principal), Membership
        )
        self.api_token_by_id = _by_id(session, lambda: policy.own_api_tokens(principal), ApiToken)
        self.members_by_alliance: DataLoader[MembersKey, MembersPage] = DataLoader(
            load_fn=self._members_loader(session, principal)
        )

    @staticmethod
    def _members_loader(session: LockedSession, principal: Principal) -> Any:
        async def load(keys: Sequence[MembersKey]) -> list[MembersPage]:
            # one statement per distinct page shape (usually one for the whole request)
            shapes: dict[tuple[Any, ...], list[uuid.UUID]] = defaultdict(list)
            for key in keys:
                shapes[(key.page, key.roles, key.include_former)].append(key.alliance_id)
            results: dict[tuple[Any, ...], MembersPage] = {}
            for (page, roles, include_former), alliance_ids in shapes.items():
                query = policy.visible_memberships(principal, include_former=include_former)
                if roles:
                    query = query.where(Membership.role.in_(roles))
                pages = await paginate_many(
                    session, query, Membership.alliance_id, alliance_ids, MEMBERS_BY_JOINED, page
                )
                for alliance_id, result in pages.items():
                    results[(alliance_id, page, roles, include_former)] = result
            return [results[(k.alliance_id, k.page, k.roles, k.include_former)] for k in keys]

        return load
