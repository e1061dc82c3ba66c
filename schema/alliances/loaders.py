"""The request's loaders of alliances and their memberships."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from auth import policy
from auth.principal import Principal
from db.models import Membership
from db.session import LockedSession
from schema.alliances.enums import MembershipRole
from schema.kernel.loading import by_id_loader
from schema.kernel.pagination import Ordering, PageRequest, paginate_many

MEMBERS_BY_JOINED = Ordering("joined", (Membership.joined_at, Membership.id))


@dataclass(frozen=True, slots=True)
class MembersKey:
    """One alliance's page of members, as one field asked for it."""

    alliance_id: uuid.UUID
    page: PageRequest
    roles: tuple[MembershipRole, ...] | None
    include_former: bool


MembersPage = tuple[list[Membership], bool, bool]


class AllianceLoaders:
    """Alliances the organisation is active in, and their memberships."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.visible_alliances(principal))
        self.membership_by_id = by_id_loader(session, policy.visible_memberships(principal))
        self.members: DataLoader[MembersKey, MembersPage] = DataLoader(
            load_fn=_members_loader(session, principal)
        )


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
