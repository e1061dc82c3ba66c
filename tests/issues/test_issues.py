"""Issues and their escalation over GraphQL: raising, escalating and resolving them; who may
do each; who sees them; bad input; the automatic escalation of overdue issues; the history
of every move; and the statements a nested issue list costs.

The cast: helix leads "Alliance" and chairs its steering committee. Under it, a tactical
"Programme board" chaired by dover, and under that an operational "Working group" with
basel as chair, cairo as secretary, dover as member and essen as observer. fjord is a
member organisation without any seat; gaia leads an alliance of its own and is an
outsider. The working group is the holding committee unless a test says otherwise.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.principal import Principal
from auth.scopes import Scope
from db.enums import (
    CommitteeTier,
    CredentialKind,
    IssueMoveKind,
    IssueSeverity,
    IssueStatus,
    SeatRole,
    UserRole,
    Visibility,
)
from db.governance import Issue, IssueMove, VisibilityGrant
from db.models import AuditEntry, Event, utcnow
from db.session import LockedSession
from portal import issues
from portal.issues.jobs import escalate_overdue_issues
from tests.builders import (
    Org,
    World,
    counting,
    db_id,
    gid,
    gql,
    succeeded,
    top_level_codes,
    user_errors,
)

DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)

USER_ERRORS = "userErrors { field message code }"
ISSUE = """
id title description severity visibility status version dueAt overdue resolution resolvedAt
raisedBy { slug } holdingCommittee { id } visibilityCommittee { id } audience { slug }
moves { kind note movedAt organisation { slug } fromCommittee { id } toCommittee { id } }
"""
MUTATIONS = {
    name: f"""
mutation Run($input: {name[0].upper()}{name[1:]}Input!) {{
  {name}(input: $input) {{ issue {{ {ISSUE} }} {USER_ERRORS} }}
}}
"""
    for name in ("raiseIssue", "escalateIssue", "resolveIssue")
}
NODE = f"query Node($id: ID!) {{ node(id: $id) {{ ... on Issue {{ {ISSUE} }} }} }}"
LIST = """
query List($alliance: ID!, $filter: IssueFilter, $order: IssueOrder! = DUE_AT,
           $first: Int, $after: String, $last: Int, $before: String) {
  issues(alliance: $alliance, filter: $filter, orderBy: $order,
         first: $first, after: $after, last: $last, before: $before) {
    nodes { title }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

SEATED = {"chair": "basel", "secretary": "cairo", "member": "dover", "observer": "essen"}
"""Roles on the working group and the organisations holding them."""


@dataclass
class Cast:
    world: World
    client: httpx.AsyncClient
    orgs: dict[str, Org]
    alliance_id: uuid.UUID
    steering_id: uuid.UUID
    board_id: uuid.UUID
    group_id: uuid.UUID

    @property
    def alliance(self) -> str:
        return gid("Alliance", self.alliance_id)

    @property
    def steering(self) -> str:
        return gid("Committee", self.steering_id)

    @property
    def board(self) -> str:
        return gid("Committee", self.board_id)

    @property
    def group(self) -> str:
        return gid("Committee", self.group_id)

    async def token(self, who: str) -> str:
        """A token for a role on the working group ("chair", ...), "no-seat", "outsider",
        "lead", an organisation's slug, or the chair's organisation through a "viewer"
        token (no governance:write) or a "no-read" one (alliances:read only)."""
        if who == "viewer":
            return await self.world.token(self.orgs["basel"], role=UserRole.VIEWER)
        if who == "no-read":
            return await self.world.token(
                self.orgs["basel"], scopes=frozenset({Scope.ALLIANCES_READ})
            )
        slug = {**SEATED, "no-seat": "fjord", "outsider": "gaia", "lead": "helix"}.get(who, who)
        return await self.world.token(self.orgs[slug])

    async def run(self, who: str, mutation: str, **input_: Any) -> dict[str, Any]:
        token = await self.token(who)
        return await gql(self.client, token, MUTATIONS[mutation], {"input": input_})

    async def ok(self, who: str, mutation: str, **input_: Any) -> dict[str, Any]:
        """Run ``mutation`` as ``who`` and expect success; the issue."""
        body = await self.run(who, mutation, **input_)
        payload = succeeded(body, mutation)
        issue: dict[str, Any] = payload["issue"]
        return issue

    async def raise_(self, who: str = "member", **input_: Any) -> dict[str, Any]:
        """Raise an issue over GraphQL, held by the working group unless told otherwise."""
        defaults = {
            "alliance": self.alliance,
            "committee": self.group,
            "title": "Data transfer blocked",
            "description": "The hospital cannot send samples data.",
            "severity": "HIGH",
        }
        return await self.ok(who, "raiseIssue", **(defaults | input_))

    async def raise_at(
        self,
        slug: str,
        now: dt.datetime,
        committee_id: uuid.UUID | None = None,
        **options: Any,
    ) -> uuid.UUID:
        """Raise an issue through the domain at a chosen moment (the clock of the job)."""
        async with self.acting(slug) as (session, principal):
            issue = await issues.raise_issue(
                session,
                principal,
                self.alliance_id,
                committee_id=committee_id or self.group_id,
                title=options.pop("title", "Recruitment stalls"),
                description="",
                severity=options.pop("severity", IssueSeverity.MEDIUM),
                now=now,
                **options,
            )
            return issue.id

    async def resolve_at(self, slug: str, issue_id: uuid.UUID, now: dt.datetime) -> None:
        """Resolve an issue through the domain at a chosen moment."""
        async with self.acting(slug) as (session, principal):
            await issues.resolve_issue(
                session, principal, issue_id, expected_version=1, resolution="ok", now=now
            )

    @asynccontextmanager
    async def acting(self, slug: str) -> AsyncIterator[tuple[LockedSession, Principal]]:
        """A committed transaction acting for an organisation's admin."""
        principal = self.world.principal(self.orgs[slug])
        async with self.world.acting(principal) as session:
            yield session, principal

    async def node(self, who: str, issue_id: str) -> dict[str, Any] | None:
        body = await gql(self.client, await self.token(who), NODE, {"id": issue_id})
        assert "errors" not in body, body
        node: dict[str, Any] | None = body["data"]["node"]
        return node

    async def titles(self, who: str, **variables: Any) -> list[str]:
        body = await gql(
            self.client,
            await self.token(who),
            LIST,
            {"alliance": self.alliance, "first": 100} | variables,
        )
        assert "errors" not in body, body
        return [node["title"] for node in body["data"]["issues"]["nodes"]]


@pytest.fixture
async def cast(client: httpx.AsyncClient, world: World) -> Cast:
    slugs = ("helix", "basel", "cairo", "dover", "essen", "fjord", "gaia")
    orgs = {slug: await world.organisation(slug) for slug in slugs}
    alliance_id = await world.alliance(
        orgs["helix"], *(orgs[s] for s in ("basel", "cairo", "dover", "essen", "fjord"))
    )
    await world.alliance(orgs["gaia"], name="Gaia's own")
    steering_id = await world.steering(alliance_id)
    board_id = await world.committee(
        alliance_id, steering_id, CommitteeTier.TACTICAL, "Programme board"
    )
    group_id = await world.committee(
        alliance_id, board_id, CommitteeTier.OPERATIONAL, "Working group"
    )
    await world.seat(board_id, orgs["dover"], SeatRole.CHAIR)
    for role, slug in SEATED.items():
        await world.seat(group_id, orgs[slug], SeatRole(role))
    return Cast(world, client, orgs, alliance_id, steering_id, board_id, group_id)


async def snapshot(world: World) -> tuple[list[tuple[Any, ...]], int, int]:
    """Every issue's state, and how many moves and grants exist."""
    async with world.sessions() as session:
        rows = await session.execute(
            select(
                Issue.id,
                Issue.status,
                Issue.holding_committee_id,
                Issue.version,
                Issue.due_at,
                Issue.resolution,
            ).order_by(Issue.id)
        )
        moves = await session.scalar(select(func.count()).select_from(IssueMove))
        grants = await session.scalar(select(func.count()).select_from(VisibilityGrant))
        return [tuple(row) for row in rows], int(moves or 0), int(grants or 0)


def when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def moves_of(issue: dict[str, Any]) -> list[tuple[str, str | None, str | None, str]]:
    return [
        (
            move["kind"],
            move["fromCommittee"] and move["fromCommittee"]["id"],
            move["toCommittee"] and move["toCommittee"]["id"],
            move["organisation"]["slug"],
        )
        for move in issue["moves"]
    ]


# --- raiseIssue -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "code"),
    [("outsider", "NOT_FOUND"), ("viewer", "FORBIDDEN"), ("no-read", "FORBIDDEN")],
)
async def test_raising_is_refused_outside_the_alliance_and_without_the_scope(
    cast: Cast, who: str, code: str
) -> None:
    before = await snapshot(cast.world)

    body = await cast.run(
        who,
        "raiseIssue",
        alliance=cast.alliance,
        committee=cast.group,
        title="Data transfer blocked",
        severity="HIGH",
    )

    if code == "NOT_FOUND":  # the alliance is outside the outsider's view
        assert user_errors(body, "raiseIssue") == [("alliance", "NOT_FOUND")]
    else:  # a credential without governance:write
        assert top_level_codes(body) == ["FORBIDDEN"]
    assert await snapshot(cast.world) == before
    # the same organisation's full credential may (the outsider never)
    if who != "outsider":
        await cast.raise_("chair")


@pytest.mark.parametrize("who", ["chair", "secretary", "member", "observer", "no-seat", "lead"])
async def test_any_member_organisation_raises_an_issue_held_by_the_committee_it_names(
    cast: Cast, who: str
) -> None:
    started = utcnow()

    issue = await cast.raise_(who)

    slug = {**SEATED, "no-seat": "fjord", "lead": "helix"}[who]
    assert issue["title"] == "Data transfer blocked"
    assert issue["description"] == "The hospital cannot send samples data."
    assert (issue["severity"], issue["visibility"], issue["status"]) == (
        "HIGH",
        "ALLIANCE",
        "OPEN",
    )
    assert (issue["version"], issue["overdue"], issue["resolution"]) == (1, False, None)
    assert issue["raisedBy"] == {"slug": slug}
    assert issue["holdingCommittee"] == {"id": cast.group}
    # the operational tier answers within 10 days (the default rules)
    assert started + 10 * DAY <= when(issue["dueAt"]) <= utcnow() + 10 * DAY
    assert moves_of(issue) == [("RAISED", None, cast.group, slug)]
    assert await cast.node(who, issue["id"]) == issue


async def test_an_issue_can_be_raised_with_the_steering_committee_directly(cast: Cast) -> None:
    started = utcnow()
    issue = await cast.raise_("no-seat", committee=cast.steering, severity="CRITICAL")
    assert issue["holdingCommittee"] == {"id": cast.steering}
    assert started + 30 * DAY <= when(issue["dueAt"]) <= utcnow() + 30 * DAY


async def test_raising_records_an_event_and_an_audit_entry(cast: Cast) -> None:
    issue = await cast.raise_("member")
    issue_id = db_id(issue["id"])
    async with cast.world.sessions() as session:
        events = (
            await session.scalars(select(Event.type).where(Event.alliance_id == cast.alliance_id))
        ).all()
        audits = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == issue_id))
        ).all()
    assert {"issue.created", "issuemove.created"} <= set(events)
    assert audits == ["issue.created"]


# --- escalateIssue and resolveIssue: who may --------------------------------------------


REFUSALS = [
    ("secretary", "FORBIDDEN"),
    ("member", "FORBIDDEN"),
    ("observer", "FORBIDDEN"),
    ("no-seat", "FORBIDDEN"),
    ("lead", "FORBIDDEN"),  # chairs the steering committee, not the holding one
    ("outsider", "NOT_FOUND"),
    ("viewer", "TOP:FORBIDDEN"),
    ("no-read", "TOP:FORBIDDEN"),
]


def refused_field(code: str) -> str | None:
    """An invisible issue is named as the culprit; a visible one is refused as a whole."""
    return "issue" if code == "NOT_FOUND" else None


@pytest.mark.parametrize(("who", "code"), REFUSALS)
async def test_only_the_holding_committees_chair_escalates(cast: Cast, who: str, code: str) -> None:
    raised = await cast.raise_("member")
    before = await snapshot(cast.world)

    body = await cast.run(
        who, "escalateIssue", issue=raised["id"], version=1, note="needs the board"
    )

    if code.startswith("TOP:"):
        assert top_level_codes(body) == [code[4:]]
    else:
        assert user_errors(body, "escalateIssue") == [(refused_field(code), code)]
    assert await snapshot(cast.world) == before

    started = utcnow()
    issue = await cast.ok(
        "chair", "escalateIssue", issue=raised["id"], version=1, note="needs the board"
    )
    assert issue["holdingCommittee"] == {"id": cast.board}
    assert (issue["status"], issue["version"]) == ("OPEN", 2)
    # the tactical tier answers within 20 days, counted from the escalation
    assert started + 20 * DAY <= when(issue["dueAt"]) <= utcnow() + 20 * DAY
    assert moves_of(issue) == [
        ("RAISED", None, cast.group, "dover"),
        ("ESCALATED", cast.group, cast.board, "basel"),
    ]
    assert issue["moves"][1]["note"] == "needs the board"


@pytest.mark.parametrize(("who", "code"), REFUSALS)
async def test_only_the_holding_committees_chair_resolves(cast: Cast, who: str, code: str) -> None:
    raised = await cast.raise_("member")
    before = await snapshot(cast.world)

    body = await cast.run(
        who, "resolveIssue", issue=raised["id"], version=1, resolution="Contract amended."
    )

    if code.startswith("TOP:"):
        assert top_level_codes(body) == [code[4:]]
    else:
        assert user_errors(body, "resolveIssue") == [(refused_field(code), code)]
    assert await snapshot(cast.world) == before

    started = utcnow()
    issue = await cast.ok(
        "chair", "resolveIssue", issue=raised["id"], version=1, resolution=" Contract amended. "
    )
    assert (issue["status"], issue["version"], issue["resolution"]) == (
        "RESOLVED",
        2,
        "Contract amended.",
    )
    assert started <= when(issue["resolvedAt"]) <= utcnow()
    assert issue["overdue"] is False
    assert issue["holdingCommittee"] == {"id": cast.group}
    assert moves_of(issue) == [
        ("RAISED", None, cast.group, "dover"),
        ("RESOLVED", cast.group, None, "basel"),
    ]


async def test_an_issue_climbs_the_tree_to_the_steering_committee_which_is_the_last_tier(
    cast: Cast,
) -> None:
    raised = await cast.raise_("observer")
    await cast.ok("chair", "escalateIssue", issue=raised["id"], version=1)
    # the working group's chair no longer holds it
    body = await cast.run("chair", "escalateIssue", issue=raised["id"], version=2)
    assert user_errors(body, "escalateIssue") == [(None, "FORBIDDEN")]
    # the board's chair (dover) escalates to the steering committee
    at_top = await cast.ok("member", "escalateIssue", issue=raised["id"], version=2, note="top")
    assert at_top["holdingCommittee"] == {"id": cast.steering}
    before = await snapshot(cast.world)

    body = await cast.run("lead", "escalateIssue", issue=raised["id"], version=3)

    assert user_errors(body, "escalateIssue") == [("issue", "BAD_USER_INPUT")]
    assert (
        "the steering committee is the last tier"
        in (body["data"]["escalateIssue"]["userErrors"][0]["message"])
    )
    assert await snapshot(cast.world) == before

    resolved = await cast.ok(
        "lead", "resolveIssue", issue=raised["id"], version=3, resolution="Settled."
    )
    assert moves_of(resolved) == [
        ("RAISED", None, cast.group, "essen"),
        ("ESCALATED", cast.group, cast.board, "basel"),
        ("ESCALATED", cast.board, cast.steering, "dover"),
        ("RESOLVED", cast.steering, None, "helix"),
    ]
    assert [move["note"] for move in resolved["moves"]] == ["", "", "top", "Settled."]
    times = [when(move["movedAt"]) for move in resolved["moves"]]
    assert times == sorted(times)


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutation", "fields", "error"),
    [
        ("escalateIssue", {"version": 2}, ("issue", "BAD_USER_INPUT")),
        ("resolveIssue", {"version": 2, "resolution": "again"}, ("issue", "BAD_USER_INPUT")),
    ],
)
async def test_a_resolved_issue_is_final(
    cast: Cast, mutation: str, fields: dict[str, Any], error: tuple[str, str]
) -> None:
    raised = await cast.raise_("member")
    await cast.ok("chair", "resolveIssue", issue=raised["id"], version=1, resolution="Done.")
    before = await snapshot(cast.world)

    body = await cast.run("chair", mutation, issue=raised["id"], **fields)

    assert user_errors(body, mutation) == [error]
    assert await snapshot(cast.world) == before


@pytest.mark.parametrize(
    ("mutation", "fields", "error"),
    [
        ("escalateIssue", {"version": 1}, ("issue", "BAD_USER_INPUT")),  # at the top tier
        ("resolveIssue", {"version": 1, "resolution": "   "}, ("resolution", "BAD_USER_INPUT")),
        ("resolveIssue", {"version": 1, "resolution": ""}, ("resolution", "BAD_USER_INPUT")),
        ("escalateIssue", {"version": 0}, ("version", "CONFLICT")),
        ("resolveIssue", {"version": 2, "resolution": "ok"}, ("version", "CONFLICT")),
        ("escalateIssue", {"version": 1, "note": "x" * 20_001}, ("note", "BAD_USER_INPUT")),
    ],
)
async def test_bad_moves_get_a_typed_error_and_change_nothing(
    cast: Cast, mutation: str, fields: dict[str, Any], error: tuple[str, str]
) -> None:
    raised = await cast.raise_("member", committee=cast.steering)
    before = await snapshot(cast.world)

    body = await cast.run("lead", mutation, issue=raised["id"], **fields)

    assert user_errors(body, mutation) == [error]
    assert await snapshot(cast.world) == before


async def test_a_stale_version_conflicts_after_someone_else_moved_the_issue(cast: Cast) -> None:
    raised = await cast.raise_("member")
    await cast.ok("chair", "escalateIssue", issue=raised["id"], version=1)
    before = await snapshot(cast.world)

    body = await cast.run("member", "resolveIssue", issue=raised["id"], version=1, resolution="x")

    assert user_errors(body, "resolveIssue") == [("version", "CONFLICT")]
    assert await snapshot(cast.world) == before


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"title": "  "}, ("title", "BAD_USER_INPUT")),
        ({"title": "x" * 201}, ("title", "BAD_USER_INPUT")),
        ({"description": "x" * 20_001}, ("description", "BAD_USER_INPUT")),
        ({"committee": "OTHER-STEERING"}, ("committee", "BAD_USER_INPUT")),
        ({"committee": "GAIA-STEERING"}, ("committee", "NOT_FOUND")),
        ({"committee": "not an id"}, ("committee", "BAD_USER_INPUT")),
        ({"alliance": "GAIA"}, ("alliance", "NOT_FOUND")),
        ({"visibilityCommittee": "BOARD"}, ("visibilityCommittee", "BAD_USER_INPUT")),
        (
            {"visibility": "COMMITTEE", "visibilityCommittee": "OTHER-STEERING"},
            ("visibilityCommittee", "BAD_USER_INPUT"),
        ),
        ({"audience": ["cairo"]}, ("audience", "BAD_USER_INPUT")),
        ({"visibility": "ORGANISATIONS"}, ("audience", "BAD_USER_INPUT")),
        (
            {"visibility": "ORGANISATIONS", "audience": ["cairo", "gaia"]},
            ("audience", "BAD_USER_INPUT"),
        ),
        (
            {"visibility": "ORGANISATIONS", "audience": ["nobody"]},
            ("audience", "BAD_USER_INPUT"),
        ),
    ],
)
async def test_raising_with_bad_input_gets_a_typed_error_and_changes_nothing(
    cast: Cast, fields: dict[str, Any], error: tuple[str, str]
) -> None:
    # basel is also a partner of another alliance of helix's, whose committee it can see
    other = await cast.world.alliance(cast.orgs["helix"], cast.orgs["basel"], name="Other")
    gaia_alliance = await _alliance_of(cast, "gaia")
    named = {
        "OTHER-STEERING": gid("Committee", await cast.world.steering(other)),
        "GAIA-STEERING": gid("Committee", await cast.world.steering(gaia_alliance)),
        "GAIA": gid("Alliance", gaia_alliance),
        "BOARD": cast.board,
    }
    fields = {
        key: named.get(value, value) if isinstance(value, str) else value
        for key, value in fields.items()
    }
    before = await snapshot(cast.world)

    body = await cast.run(
        "chair",
        "raiseIssue",
        **{
            "alliance": cast.alliance,
            "committee": cast.group,
            "title": "Data transfer blocked",
            "severity": "HIGH",
        }
        | fields,
    )

    assert user_errors(body, "raiseIssue") == [error]
    assert await snapshot(cast.world) == before


async def _alliance_of(cast: Cast, slug: str) -> uuid.UUID:
    from db.models import Membership

    async with cast.world.sessions() as session:
        found = await session.scalar(
            select(Membership.alliance_id).where(Membership.organisation_id == cast.orgs[slug].id)
        )
    assert found is not None
    return found


# --- visibility -------------------------------------------------------------------------


async def test_an_organisations_issue_is_seen_by_its_audience_the_raiser_and_the_holders(
    cast: Cast,
) -> None:
    # raised by fjord (no seat), shared with basel and cairo, held by the working group
    raised = await cast.raise_(
        "no-seat", visibility="ORGANISATIONS", audience=["cairo", " cairo", "basel"]
    )
    assert raised["visibility"] == "ORGANISATIONS"
    assert sorted(org["slug"] for org in raised["audience"]) == ["basel", "cairo", "fjord"]

    for who in ("no-seat", "secretary", "chair", "member", "observer"):
        assert (await cast.node(who, raised["id"])) is not None, who
        assert await cast.titles(who) == ["Data transfer blocked"], who
    for who in ("lead", "outsider"):
        assert await cast.node(who, raised["id"]) is None, who
        assert await cast.titles(who) == [], who
    # to the lead it does not exist: NOT_FOUND, never FORBIDDEN
    body = await cast.run("lead", "escalateIssue", issue=raised["id"], version=1)
    assert user_errors(body, "escalateIssue") == [("issue", "NOT_FOUND")]

    # once escalated, the board's seat holders see it too, the group's keep sight of what
    # they held, the steering committee's still not
    await cast.ok("chair", "escalateIssue", issue=raised["id"], version=1)
    for who in ("no-seat", "chair", "secretary", "member", "observer"):  # dover chairs the board
        assert await cast.node(who, raised["id"]) is not None, who
    for who in ("lead",):
        assert await cast.node(who, raised["id"]) is None, who
    await cast.world.seat(cast.board_id, cast.orgs["helix"], SeatRole.OBSERVER)
    assert await cast.node("lead", raised["id"]) is not None


@pytest.mark.parametrize("by", ["chair", "job"])
async def test_a_chair_hands_on_an_issue_it_is_not_in_the_audience_of(cast: Cast, by: str) -> None:
    t0 = utcnow() - 100 * DAY
    issue_id = await cast.raise_at(
        "fjord", t0, visibility=Visibility.ORGANISATIONS, organisation_slugs=["cairo"]
    )
    if by == "chair":
        await cast.ok("chair", "escalateIssue", issue=gid("Issue", issue_id), version=1)
    else:
        assert await escalate(cast, t0 + 11 * DAY) == 1
    issue = await cast.world.get(Issue, issue_id)
    assert issue.holding_committee_id == cast.board_id
    # basel chaired the group: outside the audience, it keeps sight of what it held
    assert await cast.node("chair", gid("Issue", issue_id)) is not None
    assert await cast.node("lead", gid("Issue", issue_id)) is None


async def test_a_committee_issue_is_hidden_from_organisations_without_a_seat(cast: Cast) -> None:
    raised = await cast.raise_("member", visibility="COMMITTEE")
    assert raised["visibilityCommittee"] == {"id": cast.group}
    assert raised["audience"] is None

    for who in ("chair", "secretary", "member", "observer"):
        assert await cast.node(who, raised["id"]) is not None, who
    for who in ("no-seat", "lead", "outsider"):
        assert await cast.node(who, raised["id"]) is None, who
        assert await cast.titles(who) == [], who
    body = await cast.run("no-seat", "resolveIssue", issue=raised["id"], version=1, resolution="x")
    assert user_errors(body, "resolveIssue") == [("issue", "NOT_FOUND")]


async def test_the_raiser_always_sees_its_own_issue(cast: Cast) -> None:
    # fjord raises an issue visible to the board's seat holders, on none of which it sits
    raised = await cast.raise_("no-seat", visibility="COMMITTEE", visibilityCommittee=cast.board)
    assert raised["visibilityCommittee"] == {"id": cast.board}
    assert await cast.node("no-seat", raised["id"]) is not None
    assert await cast.titles("no-seat") == ["Data transfer blocked"]
    assert await cast.node("lead", raised["id"]) is None


async def test_reading_needs_governance_read(cast: Cast) -> None:
    raised = await cast.raise_("chair")
    token = await cast.token("no-read")
    body = await gql(cast.client, token, LIST, {"alliance": cast.alliance})
    assert top_level_codes(body) == ["FORBIDDEN"]
    body = await gql(cast.client, token, NODE, {"id": raised["id"]})
    assert body["data"]["node"] is None
    assert await cast.node("viewer", raised["id"]) is not None


# --- the list -------------------------------------------------------------------------


async def test_the_issue_list_filters_orders_and_pages(cast: Cast) -> None:
    now = utcnow()
    await cast.raise_at("dover", now - 40 * DAY, title="Overdue group issue")
    await cast.raise_at(
        "dover", now - 2 * DAY, cast.board_id, title="Board issue", severity=IssueSeverity.LOW
    )
    await cast.raise_at(
        "dover", now - DAY, cast.steering_id, title="Steering issue", severity=IssueSeverity.HIGH
    )
    resolved = await cast.raise_at("dover", now - 50 * DAY, title="Old resolved issue")
    await cast.resolve_at("basel", resolved, now)

    # by deadline: the resolved one (due 40 days ago) first
    assert await cast.titles("member") == [
        "Old resolved issue",
        "Overdue group issue",
        "Board issue",
        "Steering issue",
    ]
    assert await cast.titles("member", order="CREATED_AT_DESC") == [
        "Steering issue",
        "Board issue",
        "Overdue group issue",
        "Old resolved issue",
    ]
    assert await cast.titles("member", filter={"overdue": True}) == ["Overdue group issue"]
    assert await cast.titles("member", filter={"overdue": False}) == [
        "Old resolved issue",
        "Board issue",
        "Steering issue",
    ]
    assert await cast.titles("member", filter={"statuses": ["RESOLVED"]}) == ["Old resolved issue"]
    assert await cast.titles("member", filter={"severities": ["LOW", "HIGH"]}) == [
        "Board issue",
        "Steering issue",
    ]
    assert await cast.titles("member", filter={"committee": cast.board}) == ["Board issue"]
    assert await cast.titles("member", filter={"committee": cast.group, "statuses": ["OPEN"]}) == [
        "Overdue group issue"
    ]
    # an ID of another type, or an alliance one is not in, lists nothing
    assert await cast.titles("member", filter={"committee": cast.alliance}) == []
    assert await cast.titles("outsider") == []

    token = await cast.token("member")
    first = await gql(cast.client, token, LIST, {"alliance": cast.alliance, "first": 3})
    page = first["data"]["issues"]
    assert [n["title"] for n in page["nodes"]] == [
        "Old resolved issue",
        "Overdue group issue",
        "Board issue",
    ]
    assert (page["pageInfo"]["hasNextPage"], page["pageInfo"]["hasPreviousPage"]) == (True, False)
    second = await gql(
        cast.client,
        token,
        LIST,
        {"alliance": cast.alliance, "first": 3, "after": page["pageInfo"]["endCursor"]},
    )
    assert [n["title"] for n in second["data"]["issues"]["nodes"]] == ["Steering issue"]
    back = await gql(
        cast.client,
        token,
        LIST,
        {"alliance": cast.alliance, "last": 2, "before": page["pageInfo"]["endCursor"]},
    )
    assert [n["title"] for n in back["data"]["issues"]["nodes"]] == [
        "Old resolved issue",
        "Overdue group issue",
    ]
    wrong = await gql(
        cast.client,
        token,
        LIST,
        {"alliance": cast.alliance, "order": "CREATED_AT_DESC", "after": "bogus"},
    )
    assert top_level_codes(wrong) == ["BAD_USER_INPUT"]


# --- automatic escalation -------------------------------------------------------------


async def escalate(cast: Cast, now: dt.datetime) -> int:
    return await escalate_overdue_issues(cast.world.sessions, now)


async def test_overdue_issues_climb_one_tier_per_deadline_and_stop_at_the_steering_committee(
    cast: Cast,
) -> None:
    t0 = utcnow() - 100 * DAY
    issue_id = await cast.raise_at("essen", t0)

    assert await escalate(cast, t0 + 9 * DAY) == 0  # not before it is due
    assert await escalate(cast, t0 + 10 * DAY) == 0  # due, not yet overdue
    issue = await cast.world.get(Issue, issue_id)
    assert (issue.holding_committee_id, issue.version) == (cast.group_id, 1)

    t1 = t0 + 10 * DAY + SECOND
    assert await escalate(cast, t1) == 1
    assert await escalate(cast, t1) == 0  # the same moment again: once only
    assert await escalate(cast, t1 + 19 * DAY) == 0  # the board has 20 days
    issue = await cast.world.get(Issue, issue_id)
    assert (issue.holding_committee_id, issue.version) == (cast.board_id, 2)
    assert issue.due_at == t1 + 20 * DAY

    t2 = t1 + 20 * DAY + 2 * DAY
    assert await escalate(cast, t2) == 1
    issue = await cast.world.get(Issue, issue_id)
    assert (issue.holding_committee_id, issue.version) == (cast.steering_id, 3)
    assert issue.due_at == t2 + 30 * DAY < utcnow()

    # never past the top: the steering committee's overdue issue stays overdue
    for later in (t2 + 31 * DAY, utcnow(), utcnow() + 1000 * DAY):
        assert await escalate(cast, later) == 0
    issue = await cast.world.get(Issue, issue_id)
    assert (issue.holding_committee_id, issue.version, issue.status) == (
        cast.steering_id,
        3,
        IssueStatus.OPEN,
    )
    node = await cast.node("observer", gid("Issue", issue_id))
    assert node is not None
    assert node["overdue"] is True
    assert moves_of(node) == [
        ("RAISED", None, cast.group, "essen"),
        ("AUTO_ESCALATED", cast.group, cast.board, "basel"),  # for the group's chair
        ("AUTO_ESCALATED", cast.board, cast.steering, "dover"),  # for the board's chair
    ]
    assert [when(m["movedAt"]) for m in node["moves"]] == [t0, t1, t2]
    assert node["moves"][2]["note"] == "overdue by 2 days: escalated automatically"

    # acting as the server itself, on behalf of the chair's organisation
    async with cast.world.sessions() as session:
        kinds = (
            await session.execute(
                select(AuditEntry.credential_kind, AuditEntry.organisation_id)
                .where(AuditEntry.action == "issuemove.created")
                .order_by(AuditEntry.id)
            )
        ).all()
    assert [(k, o) for k, o in kinds] == [
        (CredentialKind.OPERATOR, cast.orgs["essen"].id),
        (CredentialKind.SYSTEM, cast.orgs["basel"].id),
        (CredentialKind.SYSTEM, cast.orgs["dover"].id),
    ]


async def test_a_late_run_escalates_once_and_restarts_the_deadline_from_then(cast: Cast) -> None:
    t0 = utcnow() - 200 * DAY
    issue_id = await cast.raise_at("dover", t0)
    late = t0 + 150 * DAY  # long past every tier's deadline

    assert await escalate(cast, late) == 1
    issue = await cast.world.get(Issue, issue_id)
    assert (issue.holding_committee_id, issue.due_at) == (cast.board_id, late + 20 * DAY)


async def test_resolved_and_steering_issues_are_left_alone(cast: Cast) -> None:
    t0 = utcnow() - 100 * DAY
    await cast.raise_at("dover", t0, cast.steering_id)
    resolved = await cast.raise_at("dover", t0)
    await cast.resolve_at("basel", resolved, t0)
    before = await snapshot(cast.world)

    assert await escalate(cast, utcnow()) == 0

    assert await snapshot(cast.world) == before


async def test_two_processes_running_at_once_escalate_each_issue_once(cast: Cast) -> None:
    t0 = utcnow() - 100 * DAY
    ids = [await cast.raise_at("dover", t0, title=f"Issue {i}") for i in range(4)]
    now = t0 + 11 * DAY

    handled = await asyncio.gather(escalate(cast, now), escalate(cast, now))

    assert sum(handled) == 4
    async with cast.world.sessions() as session:
        kinds = (
            await session.scalars(
                select(IssueMove.kind).where(
                    IssueMove.issue_id.in_(ids), IssueMove.kind != IssueMoveKind.RAISED
                )
            )
        ).all()
    assert len(kinds) == 4
    for issue_id in ids:
        issue = await cast.world.get(Issue, issue_id)
        assert (issue.holding_committee_id, issue.version) == (cast.board_id, 2)


async def test_an_overdue_issue_of_an_unstaffed_committee_waits_for_a_seat(cast: Cast) -> None:
    t0 = utcnow() - 100 * DAY
    empty = await cast.world.committee(
        cast.alliance_id, cast.board_id, CommitteeTier.OPERATIONAL, "Nobody's group"
    )
    issue_id = await cast.raise_at("dover", t0, empty)

    assert await escalate(cast, utcnow()) == 0

    await cast.world.seat(empty, cast.orgs["cairo"], SeatRole.MEMBER)  # no chair: any seat
    assert await escalate(cast, utcnow()) == 1
    issue = await cast.world.get(Issue, issue_id)
    assert issue.holding_committee_id == cast.board_id


async def test_automatic_escalation_keeps_the_audience_and_moves_the_holders(
    cast: Cast,
) -> None:
    t0 = utcnow() - 100 * DAY
    issue_id = await cast.raise_at(
        "fjord",
        t0,
        visibility=Visibility.ORGANISATIONS,
        organisation_slugs=["basel", "cairo"],
    )
    assert await cast.node("observer", gid("Issue", issue_id)) is not None

    assert await escalate(cast, t0 + 11 * DAY) == 1

    issue = await cast.world.get(Issue, issue_id)
    assert (issue.visibility, issue.holding_committee_id) == (
        Visibility.ORGANISATIONS,
        cast.board_id,
    )
    # essen observed the group that held it and keeps sight; dover chairs the board now
    for who in ("no-seat", "chair", "secretary", "member", "observer"):
        assert await cast.node(who, gid("Issue", issue_id)) is not None, who


# --- statement counts -----------------------------------------------------------------


DEEP = """
query Deep($alliance: ID!) {
  issues(alliance: $alliance, first: 50) {
    nodes {
      title overdue raisedBy { slug } holdingCommittee { name } audience { slug }
      moves { kind note organisation { slug } fromCommittee { name } toCommittee { name } }
    }
  }
}
"""


async def test_issues_moves_and_committees_in_constant_statements(
    cast: Cast, engine: AsyncEngine
) -> None:
    t0 = utcnow() - 100 * DAY
    await cast.raise_at(
        "dover",
        t0,
        title="First",
        visibility=Visibility.ORGANISATIONS,
        organisation_slugs=["helix", "basel", "dover"],
    )
    # moves name committees and organisations the issue list does not: one more statement
    # each, whatever the length
    assert await escalate(cast, t0 + 11 * DAY) == 1
    token = await cast.token("lead")
    await gql(cast.client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        first = await gql(cast.client, token, DEEP, {"alliance": cast.alliance})

    for i in range(6):
        await cast.raise_at(
            ["dover", "fjord", "helix"][i % 3],
            t0 + i * DAY,
            [cast.group_id, cast.board_id][i % 2],
            title=f"Issue {i}",
            visibility=Visibility.ORGANISATIONS,
            organisation_slugs=["helix", "basel", "dover"],  # the chairs acted for
        )
    assert await escalate(cast, t0 + 12 * DAY) == 1
    assert await escalate(cast, t0 + 40 * DAY) == 7
    with counting() as large:
        second = await gql(cast.client, token, DEEP, {"alliance": cast.alliance})

    assert "errors" not in first, first
    assert "errors" not in second, second
    nodes = second["data"]["issues"]["nodes"]
    assert len(nodes) == 7
    assert sum(len(node["moves"]) for node in nodes) > 7
    assert len(large) == len(small), "\n".join(large)
    # the request start (credential, role and tenant), issues, their organisations, committees,
    # audience and moves, then the committees and organisations first named by moves
    assert len(small) == 8, "\n".join(small)
