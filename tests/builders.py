"""What every area's tests share: builders for test data that read like the domain
(``await world.alliance(lead, ...)``) and the helpers that read answers and count rows.

Organisations, users and tokens are made by the operator; alliances and their members
through the domain functions, acting as the lead organisation's admin, as in real use.
Each area's test module builds its own cast (who holds which seat) from these.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import delete, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import async_sessionmaker

from auth.principal import Principal
from auth.scopes import ALL_SCOPES, Scope
from db.enums import (
    CommitteeTier,
    CredentialKind,
    MembershipRole,
    OrganisationKind,
    SeatRole,
    UserRole,
)
from db.governance import Committee, Seat
from db.models import Alliance, Membership, Organisation, User, utcnow
from db.session import LockedSession, tenant_session
from db.unit_of_work import Actor, act_as
from portal import alliances
from portal.api_tokens import issue_token


@dataclass
class Org:
    """A test organisation with an admin, a member and a viewer user."""

    id: uuid.UUID
    slug: str
    users: dict[UserRole, uuid.UUID] = field(default_factory=dict)

    @property
    def admin(self) -> uuid.UUID:
        return self.users[UserRole.ADMIN]


class World:
    def __init__(self, sessions: async_sessionmaker[LockedSession], secret: str) -> None:
        self.sessions = sessions
        self.secret = secret
        self._counter = 0

    async def organisation(
        self, slug: str | None = None, kind: OrganisationKind = OrganisationKind.PHARMA
    ) -> Org:
        self._counter += 1
        slug = slug or f"org-{self._counter}"
        org = Org(uuid.uuid4(), slug)
        async with self.sessions() as session, session.begin():
            act_as(session, Actor.operator(org.id))
            session.add(
                Organisation(id=org.id, slug=slug, name=slug.title(), kind=kind, country="DE")
            )
            for role in UserRole:
                user = User(
                    id=uuid.uuid4(),
                    organisation_id=org.id,
                    email=f"{role.value}@{slug}.test",
                    display_name=f"{slug} {role.value}",
                    role=role,
                    issuer="https://idp.test",
                    subject=f"{slug}:{role.value}",
                )
                org.users[role] = user.id
                session.add(user)
        return org

    async def token(
        self,
        org: Org,
        *,
        scopes: frozenset[Scope] = ALL_SCOPES,
        role: UserRole | None = UserRole.ADMIN,
        expires_in: dt.timedelta = dt.timedelta(days=30),
        revoked: bool = False,
    ) -> str:
        """A token of ``org`` made by its user of ``role`` (or by the operator: None)."""
        async with self.sessions() as session, session.begin():
            act_as(session, Actor.operator(org.id))
            issued = await issue_token(
                session,
                organisation_id=org.id,
                created_by_user_id=org.users[role] if role else None,
                name="test",
                scopes=scopes,
                expires_at=utcnow() + dt.timedelta(days=1),
                hashing_secret=self.secret,
            )
            # expiry in the past cannot be issued; age the token afterwards
            issued.token.expires_at = utcnow() + expires_in
            if revoked:
                issued.token.revoked_at = utcnow()
        return issued.secret

    def principal(self, org: Org, scopes: frozenset[Scope] = ALL_SCOPES) -> Principal:
        return Principal(org.id, org.admin, CredentialKind.OPERATOR, None, scopes)

    async def alliance(
        self,
        lead: Org,
        *members: Org | tuple[Org, MembershipRole],
        name: str = "Alliance",
    ) -> uuid.UUID:
        principal = self.principal(lead)
        async with tenant_session(self.sessions, lead.id) as session, session.begin():
            act_as(session, Actor.of(principal))
            alliance = await alliances.create_alliance(
                session, principal, alliances.Charter(name=name, purpose=f"{name} purpose")
            )
            for member in members:
                org, role = (
                    member if isinstance(member, tuple) else (member, MembershipRole.PARTNER)
                )
                await alliances.add_member(
                    session, principal, alliance.id, organisation_slug=org.slug, role=role
                )
            return alliance.id

    async def membership_id(self, alliance_id: uuid.UUID, org: Org) -> uuid.UUID:
        async with self.sessions() as session:
            found = await session.scalar(
                select(Membership.id).where(
                    Membership.alliance_id == alliance_id,
                    Membership.organisation_id == org.id,
                    Membership.left_at.is_(None),
                )
            )
            assert found is not None
            return found

    async def steering(self, alliance_id: uuid.UUID) -> uuid.UUID:
        """The alliance's steering committee (made with the alliance)."""
        async with self.sessions() as session:
            found = await session.scalar(
                select(Committee.id).where(
                    Committee.alliance_id == alliance_id,
                    Committee.tier == CommitteeTier.STRATEGIC,
                )
            )
            assert found is not None
            return found

    async def committee(
        self,
        alliance_id: uuid.UUID,
        parent_id: uuid.UUID,
        tier: CommitteeTier = CommitteeTier.OPERATIONAL,
        name: str = "Working group",
        **rules: Any,
    ) -> uuid.UUID:
        """A committee made directly (set-up, not the API under test)."""
        committee = Committee(
            id=uuid.uuid4(),
            alliance_id=alliance_id,
            parent_id=parent_id,
            tier=tier,
            name=name,
            **rules,
        )
        async with self.sessions() as session, session.begin():
            act_as(session, Actor.operator(await self._lead_of(session, alliance_id)))
            session.add(committee)
        return committee.id

    async def seat(
        self,
        committee_id: uuid.UUID,
        org: Org,
        role: SeatRole = SeatRole.MEMBER,
        *,
        voting: bool = True,
    ) -> uuid.UUID:
        """Seat ``org`` on a committee (set-up, not the API under test); replaces an
        existing seat of the organisation."""

        async with self.sessions() as session, session.begin():
            committee = await session.get(Committee, committee_id)
            assert committee is not None
            act_as(session, Actor.operator(org.id))
            await session.execute(
                delete(Seat).where(
                    Seat.committee_id == committee_id, Seat.organisation_id == org.id
                )
            )
            seat = Seat(
                id=uuid.uuid4(),
                alliance_id=committee.alliance_id,
                committee_id=committee_id,
                organisation_id=org.id,
                role=role,
                voting=voting,
            )
            session.add(seat)
        return seat.id

    @staticmethod
    async def _lead_of(session: Any, alliance_id: uuid.UUID) -> uuid.UUID:
        lead = await session.scalar(
            select(Membership.organisation_id).where(
                Membership.alliance_id == alliance_id,
                Membership.role == MembershipRole.LEAD,
                Membership.left_at.is_(None),
            )
        )
        assert lead is not None
        return lead  # type: ignore[no-any-return]

    async def get(self, model: type[Any], object_id: Any) -> Any:
        async with self.sessions() as session:
            return await session.get(model, object_id)

    @asynccontextmanager
    async def acting(self, principal: Principal) -> AsyncIterator[LockedSession]:
        """A committed transaction in which ``principal`` calls domain functions directly."""
        async with (
            tenant_session(self.sessions, principal.organisation_id) as session,
            session.begin(),
        ):
            act_as(session, Actor.of(principal))
            yield session

    async def count(self, model: type[Any]) -> int:
        """How many rows ``model``'s table holds, read past row-level security."""
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def gid(type_name: str, object_id: uuid.UUID) -> str:
    """The global id of an object, as the API writes it."""
    return base64.b64encode(f"{type_name}:{object_id}".encode()).decode()


def db_id(global_id: str) -> uuid.UUID:
    """The database id inside a global id."""
    return uuid.UUID(base64.b64decode(global_id).decode().split(":", 1)[1])


async def gql(
    client: httpx.AsyncClient,
    token: str | None,
    query: str,
    variables: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """POST a GraphQL operation; asserts HTTP 200 and returns the JSON body, without its
    ``extensions``."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    # every response reports its cost (tests/platform/test_limits.py checks it); the
    # tests of what an operation answers compare data and errors
    body.pop("extensions", None)
    return body


def succeeded(body: dict[str, Any], mutation: str) -> dict[str, Any]:
    """The payload of a mutation that must have succeeded: no top-level error, no userError."""
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"][mutation]
    assert payload["userErrors"] == [], payload
    return payload


def user_errors(body: dict[str, Any], mutation: str) -> list[tuple[str | None, str]]:
    """The ``(field, code)`` of each userError of a mutation that raised no top-level error."""
    assert "errors" not in body, body
    return [(e["field"], e["code"]) for e in body["data"][mutation]["userErrors"]]


def top_level_codes(body: dict[str, Any]) -> list[str]:
    """The ``extensions.code`` of each top-level error."""
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@contextmanager
def counting() -> Iterator[list[str]]:
    """The SQL statements any engine runs inside the block, in order: the app's (logged in
    as ``portal_server``) and the operator's alike."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)


Page = Callable[..., Awaitable[dict[str, Any]]]
"""Fetches one page of a connection, given ``first``/``after`` or ``last``/``before``."""


async def walk_both_ways(
    page: Page, item: Callable[[dict[str, Any]], Any], size: int = 2
) -> tuple[list[Any], list[Any]]:
    """Every item of a list, read forwards page by page (``first``/``after``) and then
    backwards (``last``/``before``), checking each page says whether others precede or
    follow it: the two walks, each in list order, for comparing with the whole list."""
    forwards: list[Any] = []
    after = None
    while True:
        found = await page(first=size, after=after)
        forwards += [item(edge["node"]) for edge in found["edges"]]
        assert found["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]
    backwards: list[Any] = []
    before = None
    while True:
        found = await page(last=size, before=before)
        backwards = [item(edge["node"]) for edge in found["edges"]] + backwards
        assert found["pageInfo"]["hasNextPage"] is (before is not None)
        if not found["pageInfo"]["hasPreviousPage"]:
            break
        before = found["pageInfo"]["startCursor"]
    return forwards, backwards


__all__ = [
    "Alliance",
    "Org",
    "World",
    "counting",
    "db_id",
    "gid",
    "gql",
    "succeeded",
    "top_level_codes",
    "user_errors",
    "walk_both_ways",
]
