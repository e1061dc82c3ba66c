"""Decisions and votes: the outcome computation (a pure function) and the API over HTTP.

The cast, on the steering committee of helix's alliance: helix is the chair (it leads the
alliance), basel the secretary and cairo a member, all three with voting seats; dover holds
a non-voting member seat and essen an observer's seat; fulda is a member of the alliance
without a seat; gdansk leads an alliance of its own and is an outsider here. The working
group (operational, with its own rules) is chaired by helix too.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.scopes import Scope
from db.enums import (
    DecisionOutcome,
    MajorityRule,
    MeetingKind,
    MeetingStatus,
    SeatRole,
    UserRole,
    VoteChoice,
)
from db.governance import Committee, Decision, Meeting, Vote
from db.models import AuditEntry, utcnow
from db.session import tenant_session
from db.unit_of_work import Actor, act_as
from portal import decisions
from portal.decisions import Ballot
from schema.decisions.types import load_decisions_of_meeting
from schema.loaders import Loaders
from tests.builders import Org, World, counting, gid, gql, succeeded

USER_ERRORS = "userErrors { field message code }"
DECISION_FIELDS = """id text procedure status outcome quorumMet votesFor votesAgainst
  votesAbstain closesAt closedAt vetoedBy { slug } subject { type id }"""

RECORD = f"""
mutation Record($input: RecordDecisionInput!) {{
  recordDecision(input: $input) {{ decision {{ {DECISION_FIELDS} }} {USER_ERRORS} }}
}}
"""
VOTE = f"""
mutation Vote($input: CastVoteInput!) {{
  castVote(input: $input) {{
    vote {{ id choice veto castAt organisation {{ slug }} }}
    decision {{ votesFor votesAgainst votesAbstain status }}
    {USER_ERRORS}
  }}
}}
"""
CLOSE = f"""
mutation Close($input: CloseDecisionInput!) {{
  closeDecision(input: $input) {{ decision {{ {DECISION_FIELDS} }} {USER_ERRORS} }}
}}
"""
LIST = """
query List($alliance: ID!, $filter: DecisionFilter, $first: Int, $after: String) {
  decisions(alliance: $alliance, filter: $filter, first: $first, after: $after) {
    edges { cursor node { id text status outcome } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    ... on Decision { text votes { choice veto organisation { slug } } }
    ... on Vote { choice decision { text } }
  }
}
"""
MUTATION_NAMES = {RECORD: "recordDecision", VOTE: "castVote", CLOSE: "closeDecision"}

ROLES = (
    "chair",
    "secretary",
    "member",
    "non_voting",
    "observer",
    "unseated",
    "outsider",
    "viewer_token",
    "read_only_token",
)
"""Each principal tried against each action: organisations by their part on the steering
committee, then two tokens of the chair's organisation lacking a scope (a viewer's token
has no governance:write; an alliances:read token not even governance:read)."""


# --- the pure outcome computation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cast", "seats", "quorum", "met"),
    [
        pytest.param(2, 3, Decimal("0.667"), True, id="two-of-three-meets-0.667"),
        pytest.param(1, 3, Decimal("0.667"), False, id="one-of-three"),
        pytest.param(5, 7, Decimal("0.667"), True, id="five-of-seven"),
        pytest.param(4, 7, Decimal("0.667"), False, id="four-of-seven"),
        pytest.param(667, 1000, Decimal("0.667"), True, id="exactly-at-the-boundary"),
        pytest.param(666, 1000, Decimal("0.667"), False, id="one-below-the-boundary"),
        pytest.param(1, 2, Decimal("0.5"), True, id="half-meets-half"),
        pytest.param(3, 4, Decimal("0.75"), True, id="three-quarters"),
        pytest.param(2, 4, Decimal("0.75"), False, id="half-misses-three-quarters"),
        pytest.param(3, 3, Decimal("1"), True, id="unanimity-needed-and-given"),
        pytest.param(2, 3, Decimal("1"), False, id="unanimity-needed-missing-one"),
        pytest.param(0, 3, Decimal("0.001"), False, id="zero-votes"),
        pytest.param(0, 0, Decimal("0.5"), False, id="no-voting-seats"),
        pytest.param(2, 3, Fraction(2, 3), True, id="exact-two-thirds"),
    ],
)
def test_quorum_is_a_share_of_the_voting_seats(
    cast: int, seats: int, quorum: Decimal | Fraction, met: bool
) -> None:
    assert decisions.quorum_reached(cast, seats, quorum) is met


@pytest.mark.parametrize(
    ("votes_for", "votes_against", "rule", "carried"),
    [
        pytest.param(2, 1, MajorityRule.SIMPLE, True, id="simple-more-for"),
        pytest.param(1, 1, MajorityRule.SIMPLE, False, id="simple-tie-rejects"),
        pytest.param(1, 2, MajorityRule.SIMPLE, False, id="simple-more-against"),
        pytest.param(1, 0, MajorityRule.SIMPLE, True, id="simple-one-for-none-against"),
        pytest.param(0, 0, MajorityRule.SIMPLE, False, id="simple-no-votes"),
        pytest.param(2, 1, MajorityRule.QUALIFIED, True, id="qualified-exactly-two-thirds"),
        pytest.param(4, 2, MajorityRule.QUALIFIED, True, id="qualified-four-of-six"),
        pytest.param(3, 2, MajorityRule.QUALIFIED, False, id="qualified-three-fifths"),
        pytest.param(1, 1, MajorityRule.QUALIFIED, False, id="qualified-tie"),
        pytest.param(7, 3, MajorityRule.QUALIFIED, True, id="qualified-seventy-percent"),
        pytest.param(0, 0, MajorityRule.QUALIFIED, False, id="qualified-no-votes"),
        pytest.param(0, 5, MajorityRule.QUALIFIED, False, id="qualified-all-against"),
    ],
)
def test_majority_counts_only_votes_for_and_against(
    votes_for: int, votes_against: int, rule: MajorityRule, carried: bool
) -> None:
    assert decisions.majority_for(votes_for, votes_against, rule) is carried


A, B, C, D = (uuid.UUID(int=n) for n in range(1, 5))
FOR, AGAINST, ABSTAIN = VoteChoice.FOR, VoteChoice.AGAINST, VoteChoice.ABSTAIN


@pytest.mark.parametrize(
    ("ballots", "rules", "expected"),
    [
        pytest.param([], {}, (DecisionOutcome.DEFERRED, False, 0, 0, 0, None), id="no-votes"),
        pytest.param(
            [Ballot(A, FOR)], {}, (DecisionOutcome.DEFERRED, False, 1, 0, 0, None), id="no-quorum"
        ),
        pytest.param(
            [Ballot(A, FOR), Ballot(B, FOR)],
            {},
            (DecisionOutcome.APPROVED, True, 2, 0, 0, None),
            id="approved",
        ),
        pytest.param(
            [Ballot(A, FOR), Ballot(B, AGAINST)],
            {},
            (DecisionOutcome.REJECTED, True, 1, 1, 0, None),
            id="tie-rejects",
        ),
        pytest.param(
            [Ballot(A, FOR), Ballot(B, ABSTAIN), Ballot(C, ABSTAIN)],
            {},
            (DecisionOutcome.APPROVED, True, 1, 0, 2, None),
            id="abstentions-make-the-quorum-not-the-majority",
        ),
        pytest.param(
            [Ballot(A, ABSTAIN), Ballot(B, ABSTAIN)],
            {},
            (DecisionOutcome.REJECTED, True, 0, 0, 2, None),
            id="everyone-abstains",
        ),
        pytest.param(
            [Ballot(A, FOR), Ballot(B, AGAINST, veto=True), Ballot(C, AGAINST, veto=True)],
            {"veto_allowed": True},
            (DecisionOutcome.REJECTED, True, 1, 2, 0, B),
            id="first-veto-rejects",
        ),
        pytest.param(
            [Ballot(A, FOR), Ballot(C, FOR), Ballot(B, AGAINST, veto=True)],
            {"veto_allowed": False},
            (DecisionOutcome.APPROVED, True, 2, 1, 0, None),
            id="veto-ignored-where-not-allowed",
        ),
        pytest.param(
            [Ballot(A, FOR), Ballot(B, FOR, veto=True)],
            {"veto_allowed": True},
            (DecisionOutcome.APPROVED, True, 2, 0, 0, None),
            id="a-veto-is-only-a-vote-against",
        ),
        pytest.param(
            [Ballot(B, AGAINST, veto=True)],
            {"veto_allowed": True},
            (DecisionOutcome.DEFERRED, False, 0, 1, 0, None),
            id="no-quorum-before-veto",
        ),
        pytest.param(
            [Ballot(A, FOR), Ballot(B, FOR), Ballot(C, AGAINST)],
            {"majority": MajorityRule.QUALIFIED},
            (DecisionOutcome.APPROVED, True, 2, 1, 0, None),
            id="qualified-exactly-two-thirds",
        ),
        pytest.param(
            [Ballot(A, FOR), Ballot(B, AGAINST), Ballot(C, ABSTAIN)],
            {"majority": MajorityRule.QUALIFIED},
            (DecisionOutcome.REJECTED, True, 1, 1, 1, None),
            id="qualified-not-reached",
        ),
        pytest.param(
            [Ballot(A, FOR), Ballot(B, FOR)],
            {"voting_seats": 0},
            (DecisionOutcome.DEFERRED, False, 2, 0, 0, None),
            id="no-voting-seats-left",
        ),
    ],
)
def test_compute_outcome(
    ballots: list[Ballot], rules: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    arguments: dict[str, Any] = {
        "voting_seats": 3,
        "quorum": Decimal("0.667"),
        "majority": MajorityRule.SIMPLE,
        "veto_allowed": False,
    } | rules
    result = decisions.compute_outcome(ballots, **arguments)
    assert (
        result.outcome,
        result.quorum_met,
        result.votes_for,
        result.votes_against,
        result.votes_abstain,
        result.vetoed_by,
    ) == expected


# --- the cast and its builders -------------------------------------------------------------


@dataclass
class Board:
    world: World
    client: httpx.AsyncClient
    orgs: dict[str, Org]
    alliance_id: uuid.UUID
    steering_id: uuid.UUID
    group_id: uuid.UUID
    """The working group: qualified majority, vetoes allowed; helix chair, basel and
    cairo voting members."""
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def alliance(self) -> str:
        return gid("Alliance", self.alliance_id)

    @property
    def steering(self) -> str:
        return gid("Committee", self.steering_id)

    @property
    def group(self) -> str:
        return gid("Committee", self.group_id)

    async def meeting(
        self,
        committee_id: uuid.UUID | None = None,
        status: MeetingStatus = MeetingStatus.SCHEDULED,
    ) -> str:
        """A meeting of a committee (the steering committee by default), made directly."""
        committee_id = committee_id or self.steering_id
        starts_at = utcnow() + dt.timedelta(days=30)
        async with self.world.sessions() as session, session.begin():
            committee = await session.get(Committee, committee_id)
            assert committee is not None
            act_as(session, Actor.operator(self.orgs["chair"].id))
            meeting = Meeting(
                id=uuid.uuid4(),
                alliance_id=committee.alliance_id,
                committee_id=committee_id,
                title="Board meeting",
                kind=MeetingKind.ORDINARY,
                starts_at=starts_at,
                agenda_deadline=starts_at - dt.timedelta(days=3),
                status=status,
            )
            session.add(meeting)
        return gid("Meeting", meeting.id)

    async def run(self, role: str, mutation: str, **input: Any) -> dict[str, Any]:
        """Run a mutation as ``role``; the whole response body."""
        return await gql(self.client, self.tokens[role], mutation, {"input": input})

    async def ok(self, role: str, mutation: str, **input: Any) -> dict[str, Any]:
        """Run a mutation that must succeed; its payload."""
        body = await self.run(role, mutation, **input)
        return succeeded(body, MUTATION_NAMES[mutation])

    async def decision(self, text: str = "Adopt the data policy", **input: Any) -> str:
        """A decision recorded by the chair (a written procedure by default); its ID."""
        arguments: dict[str, Any] = {
            "committee": self.steering,
            "text": text,
            "procedure": "WRITTEN",
            "closesAt": (utcnow() + dt.timedelta(days=14)).isoformat(),
        } | input
        payload = await self.ok("chair", RECORD, **arguments)
        return str(payload["decision"]["id"])

    async def meeting_decision(self, text: str = "Adopt the data policy") -> str:
        """A decision recorded by the chair in a new meeting of the steering committee."""
        return await self.decision(
            text, procedure="MEETING", meeting=await self.meeting(), closesAt=None
        )

    async def vote(self, role: str, decision: str, choice: str = "FOR", **input: Any) -> None:
        await self.ok(role, VOTE, decision=decision, choice=choice, **input)

    async def close(self, decision: str) -> dict[str, Any]:
        payload = await self.ok("chair", CLOSE, decision=decision)
        result: dict[str, Any] = payload["decision"]
        return result

    async def move_deadline(self, decision: str, closes_at: dt.datetime) -> None:
        """Set a written procedure's deadline directly (the API only accepts future ones)."""
        decision_id = uuid.UUID(_raw_id(decision))
        async with self.world.sessions() as session, session.begin():
            act_as(session, Actor.operator(self.orgs["chair"].id))
            await session.execute(
                update(Decision).where(Decision.id == decision_id).values(closes_at=closes_at)
            )


def _raw_id(global_id: str) -> str:
    import base64

    return base64.b64decode(global_id).decode().split(":", 1)[1]


@pytest.fixture
async def board(client: httpx.AsyncClient, world: World) -> Board:
    names = {
        "chair": "helix",
        "secretary": "basel",
        "member": "cairo",
        "non_voting": "dover",
        "observer": "essen",
        "unseated": "fulda",
        "outsider": "gdansk",
    }
    orgs = {role: await world.organisation(slug) for role, slug in names.items()}
    partners = ("secretary", "member", "non_voting", "observer", "unseated")
    alliance_id = await world.alliance(orgs["chair"], *(orgs[role] for role in partners))
    await world.alliance(orgs["outsider"], name="Elsewhere")
    steering_id = await world.steering(alliance_id)
    await world.seat(steering_id, orgs["secretary"], SeatRole.SECRETARY)
    await world.seat(steering_id, orgs["member"], SeatRole.MEMBER)
    await world.seat(steering_id, orgs["non_voting"], SeatRole.MEMBER, voting=False)
    await world.seat(steering_id, orgs["observer"], SeatRole.OBSERVER, voting=False)
    group_id = await world.committee(
        alliance_id,
        steering_id,
        majority=MajorityRule.QUALIFIED,
        veto_allowed=True,
        quorum=Decimal("0.5"),
    )
    await world.seat(group_id, orgs["chair"], SeatRole.CHAIR)
    await world.seat(group_id, orgs["secretary"], SeatRole.MEMBER)
    await world.seat(group_id, orgs["member"], SeatRole.MEMBER)
    result = Board(world, client, orgs, alliance_id, steering_id, group_id)
    for role, org in orgs.items():
        result.tokens[role] = await world.token(org)
    result.tokens["viewer_token"] = await world.token(orgs["chair"], role=UserRole.VIEWER)
    result.tokens["read_only_token"] = await world.token(
        orgs["chair"], scopes=frozenset({Scope.ALLIANCES_READ})
    )
    return result


async def snapshot(world: World) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every decision and vote as stored, to prove that a refusal changed nothing."""
    async with world.sessions() as session:
        rows = (await session.scalars(select(Decision).order_by(Decision.id))).all()
        votes = (await session.scalars(select(Vote).order_by(Vote.id))).all()
    return (
        [
            (
                d.id,
                d.status,
                d.outcome,
                d.quorum_met,
                d.votes_for,
                d.votes_against,
                d.votes_abstain,
                d.vetoed_by_organisation_id,
                d.closed_at,
                d.closes_at,
            )
            for d in rows
        ],
        [(v.id, v.organisation_id, v.choice, v.veto) for v in votes],
    )


def refusal(body: dict[str, Any], mutation: str) -> tuple[str | None, str | None]:
    """How a mutation was refused: ``("TOP", code)`` for a top-level error, else the
    userError's ``(code, field)``."""
    if "errors" in body:
        assert body.get("data") is None or body["data"].get(MUTATION_NAMES[mutation]) is None
        return "TOP", body["errors"][0]["extensions"]["code"]
    errors = body["data"][MUTATION_NAMES[mutation]]["userErrors"]
    assert len(errors) == 1, errors
    return errors[0]["code"], errors[0]["field"]


SCOPE_REFUSED = ("TOP", "FORBIDDEN")
SEAT_REFUSED = ("FORBIDDEN", None)


# --- recordDecision ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "refused"),
    [
        ("secretary", SEAT_REFUSED),
        ("member", SEAT_REFUSED),
        ("non_voting", SEAT_REFUSED),
        ("observer", SEAT_REFUSED),
        ("unseated", SEAT_REFUSED),
        ("outsider", ("NOT_FOUND", "committee")),
        ("viewer_token", SCOPE_REFUSED),
        ("read_only_token", SCOPE_REFUSED),
    ],
)
async def test_only_the_chair_records_decisions(
    board: Board, role: str, refused: tuple[str, str | None]
) -> None:
    input = {
        "committee": board.steering,
        "text": "Adopt the data policy",
        "procedure": "MEETING",
        "meeting": await board.meeting(),
    }
    before = await snapshot(board.world)

    body = await board.run(role, RECORD, **input)

    assert refusal(body, RECORD) == refused
    assert await snapshot(board.world) == before

    payload = await board.ok("chair", RECORD, **input)
    decision = payload["decision"]
    assert decision | {"id": None} == {
        "id": None,
        "text": "Adopt the data policy",
        "procedure": "MEETING",
        "status": "OPEN",
        "outcome": None,
        "quorumMet": None,
        "votesFor": 0,
        "votesAgainst": 0,
        "votesAbstain": 0,
        "closesAt": None,
        "closedAt": None,
        "vetoedBy": None,
        "subject": None,
    }
    stored = await board.world.get(Decision, uuid.UUID(_raw_id(decision["id"])))
    assert stored.meeting_id == uuid.UUID(_raw_id(input["meeting"]))
    assert stored.committee_id == board.steering_id


async def test_the_chair_records_a_written_procedure_about_a_subject(board: Board) -> None:
    closes_at = utcnow() + dt.timedelta(days=10)
    payload = await board.ok(
        "chair",
        RECORD,
        committee=board.steering,
        text="  Approve the alliance's charter  ",
        procedure="WRITTEN",
        closesAt=closes_at.isoformat(),
        subject=board.alliance,
    )

    decision = payload["decision"]
    assert decision["text"] == "Approve the alliance's charter"
    assert decision["procedure"] == "WRITTEN"
    assert dt.datetime.fromisoformat(decision["closesAt"]) == closes_at
    assert decision["subject"] == {"type": "Alliance", "id": board.alliance}
    stored = await board.world.get(Decision, uuid.UUID(_raw_id(decision["id"])))
    assert (stored.subject_type, stored.subject_id) == ("Alliance", board.alliance_id)

    body = await gql(
        board.client,
        board.tokens["member"],
        "query One($id: ID!) { node(id: $id) { ... on Decision { subject { node { id } } } } }",
        {"id": decision["id"]},
    )
    assert body["data"]["node"]["subject"]["node"] == {"id": board.alliance}


# --- castVote ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "refused"),
    [
        ("non_voting", SEAT_REFUSED),
        ("observer", SEAT_REFUSED),
        ("unseated", SEAT_REFUSED),
        ("outsider", ("NOT_FOUND", "decision")),
        ("viewer_token", SCOPE_REFUSED),
        ("read_only_token", SCOPE_REFUSED),
    ],
)
async def test_organisations_without_a_voting_seat_cannot_vote(
    board: Board, role: str, refused: tuple[str, str | None]
) -> None:
    decision = await board.decision()
    before = await snapshot(board.world)

    body = await board.run(role, VOTE, decision=decision, choice="FOR")

    assert refusal(body, VOTE) == refused
    assert await snapshot(board.world) == before
    await board.vote("member", decision)  # then a voting member votes


async def test_an_observer_seat_flagged_voting_still_cannot_vote(board: Board) -> None:
    await board.world.seat(board.steering_id, board.orgs["observer"], SeatRole.OBSERVER)
    decision = await board.decision()

    body = await board.run("observer", VOTE, decision=decision, choice="FOR")

    assert refusal(body, VOTE) == SEAT_REFUSED


@pytest.mark.parametrize(
    ("role", "choice"),
    [("chair", "FOR"), ("secretary", "AGAINST"), ("member", "ABSTAIN")],
)
async def test_each_voting_seat_votes_once(board: Board, role: str, choice: str) -> None:
    decision = await board.decision()

    payload = await board.ok(role, VOTE, decision=decision, choice=choice)

    assert payload["vote"]["choice"] == choice
    assert payload["vote"]["veto"] is False
    assert payload["vote"]["organisation"] == {"slug": board.orgs[role].slug}
    tally = {"FOR": "votesFor", "AGAINST": "votesAgainst", "ABSTAIN": "votesAbstain"}
    assert payload["decision"] == {
        "votesFor": 0,
        "votesAgainst": 0,
        "votesAbstain": 0,
        "status": "OPEN",
    } | {tally[choice]: 1}
    async with board.world.sessions() as session:
        vote = await session.scalar(select(Vote))
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.action == "vote.created"))
    assert vote is not None
    assert (vote.organisation_id, vote.choice.value) == (board.orgs[role].id, choice.lower())
    assert vote.user_id == board.orgs[role].admin
    assert audit is not None
    assert audit.organisation_id == board.orgs[role].id

    before = await snapshot(board.world)
    again = await board.run(role, VOTE, decision=decision, choice="FOR")
    assert refusal(again, VOTE) == ("CONFLICT", "decision")
    assert await snapshot(board.world) == before


# --- closeDecision -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "refused"),
    [
        ("secretary", SEAT_REFUSED),
        ("member", SEAT_REFUSED),
        ("non_voting", SEAT_REFUSED),
        ("observer", SEAT_REFUSED),
        ("unseated", SEAT_REFUSED),
        ("outsider", ("NOT_FOUND", "decision")),
        ("viewer_token", SCOPE_REFUSED),
        ("read_only_token", SCOPE_REFUSED),
    ],
)
async def test_only_the_chair_closes_decisions(
    board: Board, role: str, refused: tuple[str, str | None]
) -> None:
    decision = await board.decision(
        procedure="MEETING", meeting=await board.meeting(), closesAt=None
    )
    await board.vote("chair", decision)
    await board.vote("member", decision)
    before = await snapshot(board.world)

    body = await board.run(role, CLOSE, decision=decision)

    assert refusal(body, CLOSE) == refused
    assert await snapshot(board.world) == before
    closed = await board.close(decision)
    assert closed["status"] == "CLOSED"
    assert closed["outcome"] == "APPROVED"


async def test_closing_computes_an_approval(board: Board) -> None:
    decision = await board.decision()
    await board.vote("chair", decision)
    await board.vote("secretary", decision, "ABSTAIN")
    await board.vote("member", decision)

    closed = await board.close(decision)

    assert closed | {"id": None, "closesAt": None, "closedAt": None} == {
        "id": None,
        "text": "Adopt the data policy",
        "procedure": "WRITTEN",
        "status": "CLOSED",
        "outcome": "APPROVED",
        "quorumMet": True,
        "votesFor": 2,
        "votesAgainst": 0,
        "votesAbstain": 1,
        "closesAt": None,
        "closedAt": None,
        "vetoedBy": None,
        "subject": None,
    }
    assert closed["closedAt"] is not None


async def test_two_of_three_voting_seats_make_the_default_quorum(board: Board) -> None:
    """Non-voting seats and observers do not count: 2 of 3 voting seats reach 0.667."""
    decision = await board.decision(
        procedure="MEETING", meeting=await board.meeting(), closesAt=None
    )
    await board.vote("chair", decision)
    await board.vote("member", decision, "AGAINST")

    closed = await board.close(decision)

    assert (closed["outcome"], closed["quorumMet"]) == ("REJECTED", True)  # a tie


async def test_without_a_quorum_the_decision_is_deferred(board: Board) -> None:
    decision = await board.decision(
        procedure="MEETING", meeting=await board.meeting(), closesAt=None
    )
    await board.vote("chair", decision)

    closed = await board.close(decision)

    assert (closed["outcome"], closed["quorumMet"], closed["votesFor"]) == ("DEFERRED", False, 1)


async def test_a_veto_rejects_where_the_committee_allows_it(board: Board) -> None:
    decision = await board.decision(committee=board.group)
    await board.vote("chair", decision)
    await board.vote("member", decision)
    await board.vote("secretary", decision, "AGAINST", veto=True)

    closed = await board.close(decision)

    assert (closed["outcome"], closed["vetoedBy"]) == ("REJECTED", {"slug": "basel"})
    body = await gql(board.client, board.tokens["observer"], NODE, {"id": decision})
    assert body["data"]["node"]["votes"] == [
        {"choice": "FOR", "veto": False, "organisation": {"slug": "helix"}},
        {"choice": "FOR", "veto": False, "organisation": {"slug": "cairo"}},
        {"choice": "AGAINST", "veto": True, "organisation": {"slug": "basel"}},
    ]


async def test_a_qualified_majority_needs_two_thirds(board: Board) -> None:
    carried = await board.decision("Carried", committee=board.group)
    lost = await board.decision("Lost", committee=board.group)
    for role, choice in (("chair", "FOR"), ("member", "FOR"), ("secretary", "AGAINST")):
        await board.vote(role, carried, choice)
    for role, choice in (("chair", "FOR"), ("secretary", "AGAINST")):
        await board.vote(role, lost, choice)

    await board.move_deadline(lost, utcnow() - dt.timedelta(minutes=1))
    assert (await board.close(carried))["outcome"] == "APPROVED"  # exactly two thirds
    assert (await board.close(lost))["outcome"] == "REJECTED"  # one half, with a quorum


async def test_a_written_procedure_closes_at_its_deadline(board: Board) -> None:
    decision = await board.decision()
    await board.vote("chair", decision)
    await board.vote("member", decision)
    before = await snapshot(board.world)

    early = await board.run("chair", CLOSE, decision=decision)

    assert refusal(early, CLOSE) == ("CONFLICT", "decision")
    assert await snapshot(board.world) == before
    await board.move_deadline(decision, utcnow() - dt.timedelta(seconds=1))
    late = await board.run("secretary", VOTE, decision=decision, choice="AGAINST")
    assert refusal(late, VOTE) == ("CONFLICT", "decision")
    assert (await board.close(decision))["outcome"] == "APPROVED"


async def test_a_written_procedure_closes_early_once_every_voting_seat_voted(
    board: Board,
) -> None:
    decision = await board.decision()
    for role in ("chair", "secretary", "member"):
        await board.vote(role, decision)

    closed = await board.close(decision)

    assert (closed["outcome"], closed["votesFor"]) == ("APPROVED", 3)


# --- bad input: a typed error, nothing changed ---------------------------------------------


Case = Callable[[Board], Awaitable[tuple[str, str, dict[str, Any]]]]


async def _vote_by_non_voting_seat(board: Board) -> tuple[str, str, dict[str, Any]]:
    return "non_voting", VOTE, {"decision": await board.decision(), "choice": "FOR"}


async def _vote_on_closed_decision(board: Board) -> tuple[str, str, dict[str, Any]]:
    decision = await board.decision(
        procedure="MEETING", meeting=await board.meeting(), closesAt=None
    )
    await board.vote("chair", decision)
    await board.close(decision)
    return "member", VOTE, {"decision": decision, "choice": "FOR"}


async def _second_vote(board: Board) -> tuple[str, str, dict[str, Any]]:
    decision = await board.decision()
    await board.vote("member", decision, "AGAINST")
    return "member", VOTE, {"decision": decision, "choice": "FOR"}


async def _veto_not_allowed(board: Board) -> tuple[str, str, dict[str, Any]]:
    decision = await board.decision()
    return "member", VOTE, {"decision": decision, "choice": "AGAINST", "veto": True}


async def _veto_for(board: Board) -> tuple[str, str, dict[str, Any]]:
    decision = await board.decision(committee=board.group)
    return "member", VOTE, {"decision": decision, "choice": "FOR", "veto": True}


async def _vote_after_deadline(board: Board) -> tuple[str, str, dict[str, Any]]:
    decision = await board.decision()
    await board.move_deadline(decision, utcnow() - dt.timedelta(seconds=1))
    return "member", VOTE, {"decision": decision, "choice": "FOR"}


def _record(**input: Any) -> Case:
    async def case(board: Board) -> tuple[str, str, dict[str, Any]]:
        values = {"committee": board.steering, "text": "Adopt", "procedure": "MEETING"}
        for key, value in input.items():
            values[key] = await value(board) if callable(value) else value
        return "chair", RECORD, {k: v for k, v in values.items() if v is not None}

    return case


async def _group_meeting(board: Board) -> str:
    return await board.meeting(board.group_id)


async def _cancelled_meeting(board: Board) -> str:
    return await board.meeting(status=MeetingStatus.CANCELLED)


async def _steering_meeting(board: Board) -> str:
    return await board.meeting()


async def _foreign_meeting(board: Board) -> str:
    elsewhere = await board.world.alliance(board.orgs["outsider"], name="Far")
    foreign = await board.world.steering(elsewhere)
    return await board.meeting(foreign)


async def _foreign_subject(board: Board) -> str:
    return gid("Alliance", await board.world.alliance(board.orgs["outsider"], name="Far"))


async def _other_alliance_subject(board: Board) -> str:
    """A membership the chair can see, of another alliance it leads."""
    other = await board.world.alliance(board.orgs["chair"], board.orgs["member"], name="Other")
    return gid("Membership", await board.world.membership_id(other, board.orgs["member"]))


def _past() -> str:
    return (utcnow() - dt.timedelta(minutes=1)).isoformat()


def _future() -> str:
    return (utcnow() + dt.timedelta(days=7)).isoformat()


@pytest.mark.parametrize(
    ("case", "refused"),
    [
        pytest.param(_vote_by_non_voting_seat, SEAT_REFUSED, id="vote-by-non-voting-seat"),
        pytest.param(_vote_on_closed_decision, ("CONFLICT", "decision"), id="vote-when-closed"),
        pytest.param(_second_vote, ("CONFLICT", "decision"), id="second-vote"),
        pytest.param(_veto_not_allowed, ("BAD_USER_INPUT", "veto"), id="veto-not-allowed"),
        pytest.param(_veto_for, ("BAD_USER_INPUT", "veto"), id="veto-with-a-vote-for"),
        pytest.param(_vote_after_deadline, ("CONFLICT", "decision"), id="vote-after-deadline"),
        pytest.param(
            _record(meeting=_group_meeting),
            ("BAD_USER_INPUT", "meeting"),
            id="meeting-of-another-committee",
        ),
        pytest.param(
            _record(meeting=_cancelled_meeting),
            ("BAD_USER_INPUT", "meeting"),
            id="cancelled-meeting",
        ),
        pytest.param(
            _record(meeting=_foreign_meeting), ("NOT_FOUND", "meeting"), id="invisible-meeting"
        ),
        pytest.param(_record(), ("BAD_USER_INPUT", "meeting"), id="meeting-missing"),
        pytest.param(
            _record(meeting=_steering_meeting, closesAt=_future()),
            ("BAD_USER_INPUT", "closesAt"),
            id="deadline-in-a-meeting",
        ),
        pytest.param(
            _record(procedure="WRITTEN", closesAt=_past()),
            ("BAD_USER_INPUT", "closesAt"),
            id="written-deadline-in-the-past",
        ),
        pytest.param(
            _record(procedure="WRITTEN", closesAt="2099-01-01T12:00:00"),
            ("BAD_USER_INPUT", "closesAt"),
            id="written-deadline-without-time-zone",
        ),
        pytest.param(
            _record(procedure="WRITTEN"),
            ("BAD_USER_INPUT", "closesAt"),
            id="written-without-deadline",
        ),
        pytest.param(
            _record(procedure="WRITTEN", closesAt=_future(), meeting=_steering_meeting),
            ("BAD_USER_INPUT", "meeting"),
            id="written-in-a-meeting",
        ),
        pytest.param(
            _record(meeting=_steering_meeting, text="   "),
            ("BAD_USER_INPUT", "text"),
            id="blank-text",
        ),
        pytest.param(
            _record(meeting=_steering_meeting, subject=_foreign_subject),
            ("NOT_FOUND", "subject"),
            id="invisible-subject",
        ),
        pytest.param(
            _record(meeting=_steering_meeting, subject=_other_alliance_subject),
            ("BAD_USER_INPUT", "subject"),
            id="subject-of-another-alliance",
        ),
        pytest.param(
            _record(meeting=_steering_meeting, subject="not an id"),
            ("BAD_USER_INPUT", "subject"),
            id="malformed-subject",
        ),
        pytest.param(
            _record(committee="bm90IGFuIGlk"), ("BAD_USER_INPUT", "committee"), id="bad-committee"
        ),
    ],
)
async def test_bad_input_gets_a_typed_error_and_changes_nothing(
    board: Board, case: Case, refused: tuple[str, str | None]
) -> None:
    role, mutation, input = await case(board)
    before = await snapshot(board.world)

    body = await board.run(role, mutation, **input)

    assert refusal(body, mutation) == refused
    assert await snapshot(board.world) == before


async def test_a_closed_decision_cannot_be_closed_again(board: Board) -> None:
    decision = await board.decision(
        procedure="MEETING", meeting=await board.meeting(), closesAt=None
    )
    await board.close(decision)
    before = await snapshot(board.world)

    body = await board.run("chair", CLOSE, decision=decision)

    assert refusal(body, CLOSE) == ("CONFLICT", "decision")
    assert await snapshot(board.world) == before


# --- reading -------------------------------------------------------------------------------


async def _texts(board: Board, role: str = "member", **variables: Any) -> list[str]:
    body = await gql(
        board.client, board.tokens[role], LIST, {"alliance": board.alliance} | variables
    )
    assert "errors" not in body, body
    return [edge["node"]["text"] for edge in body["data"]["decisions"]["edges"]]


async def test_the_decision_list_filters_and_pages(board: Board) -> None:
    meeting = await board.meeting()
    approved = await board.decision("Approved", procedure="MEETING", meeting=meeting, closesAt=None)
    await board.vote("chair", approved)
    await board.vote("member", approved)
    await board.close(approved)
    await board.decision("Written", subject=board.alliance)
    await board.decision("In the group", committee=board.group)
    await board.decision("Deferred", procedure="MEETING", meeting=meeting, closesAt=None)

    assert await _texts(board) == ["Deferred", "In the group", "Written", "Approved"]
    assert await _texts(board, filter={"committee": board.group}) == ["In the group"]
    assert await _texts(board, filter={"meeting": meeting}) == ["Deferred", "Approved"]
    assert await _texts(board, filter={"statuses": ["CLOSED"]}) == ["Approved"]
    assert await _texts(board, filter={"outcomes": ["APPROVED"]}) == ["Approved"]
    assert await _texts(board, filter={"outcomes": ["REJECTED"]}) == []
    assert await _texts(board, filter={"subject": board.alliance}) == ["Written"]
    assert await _texts(board, filter={"committee": board.alliance}) == []  # not a committee

    first = await gql(
        board.client, board.tokens["observer"], LIST, {"alliance": board.alliance, "first": 3}
    )
    page = first["data"]["decisions"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await _texts(board, "observer", first=3, after=page["pageInfo"]["endCursor"])
    assert rest == ["Approved"]

    assert await _texts(board, "outsider") == []
    assert await _texts(board, "unseated") == ["Deferred", "In the group", "Written", "Approved"]
    refused = await gql(
        board.client, board.tokens["read_only_token"], LIST, {"alliance": board.alliance}
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_decisions_and_votes_by_id_are_visible_to_members_only(board: Board) -> None:
    decision = await board.decision("Visible")
    payload = await board.ok("member", VOTE, decision=decision, choice="FOR")
    vote = payload["vote"]["id"]

    seen = await gql(board.client, board.tokens["non_voting"], NODE, {"id": decision})
    assert seen["data"]["node"]["text"] == "Visible"
    assert seen["data"]["node"]["votes"] == [
        {"choice": "FOR", "veto": False, "organisation": {"slug": "cairo"}}
    ]
    seen_vote = await gql(board.client, board.tokens["unseated"], NODE, {"id": vote})
    assert seen_vote["data"]["node"] == {
        "__typename": "Vote",
        "choice": "FOR",
        "decision": {"text": "Visible"},
    }
    for role in ("outsider", "read_only_token"):
        for object_id in (decision, vote):
            body = await gql(board.client, board.tokens[role], NODE, {"id": object_id})
            assert body["data"]["node"] is None, (role, body)


async def test_the_committee_and_meeting_of_a_decision(board: Board) -> None:
    meeting = await board.meeting()
    decision = await board.decision(procedure="MEETING", meeting=meeting, closesAt=None)
    written = await board.decision()
    query = """
    query Both($a: ID!, $b: ID!) {
      nodes(ids: [$a, $b]) { ... on Decision { committee { id } meeting { id } } }
    }
    """

    body = await gql(board.client, board.tokens["member"], query, {"a": decision, "b": written})

    assert "errors" not in body, body
    assert body["data"]["nodes"] == [
        {"committee": {"id": board.steering}, "meeting": {"id": meeting}},
        {"committee": {"id": board.steering}, "meeting": None},
    ]


async def test_approving_decision_finds_the_latest_approval_visible(board: Board) -> None:
    for text, closes in (("First", True), ("Second", True), ("Open", False)):
        decision = await board.decision(text, subject=board.alliance)
        if closes:
            for role in ("chair", "secretary", "member"):
                await board.vote(role, decision)
            await board.close(decision)
    rejected = await board.decision("Rejected", subject=board.alliance)
    for role in ("chair", "secretary", "member"):
        await board.vote(role, rejected, "AGAINST")
    await board.close(rejected)

    async def approving(org: Org) -> Decision | None:
        principal = board.world.principal(org)
        async with tenant_session(board.world.sessions, org.id) as session, session.begin():
            return await decisions.approving_decision(
                session, principal, "Alliance", board.alliance_id
            )

    found = await approving(board.orgs["observer"])
    assert found is not None
    assert (found.text, found.alliance_id) == ("Second", board.alliance_id)
    assert await approving(board.orgs["outsider"]) is None
    principal = board.world.principal(board.orgs["member"])
    sessions = board.world.sessions
    async with tenant_session(sessions, principal.organisation_id) as session, session.begin():
        about_nothing = await decisions.approving_decision(
            session, principal, "Alliance", uuid.uuid4()
        )
        about_a_type = await decisions.approving_decision(
            session, principal, "Plan", board.alliance_id
        )
    assert (about_nothing, about_a_type) == (None, None)


async def test_decisions_of_meetings_load_together(board: Board, engine: AsyncEngine) -> None:
    """The helper the meeting type uses for its decisions: one statement for all meetings."""
    first, second, empty = [await board.meeting() for _ in range(3)]
    for text, meeting in (("A", first), ("B", second), ("C", first)):
        await board.decision(text, procedure="MEETING", meeting=meeting, closesAt=None)
    await board.decision("Written")
    principal = board.world.principal(board.orgs["observer"])
    sessions = board.world.sessions
    async with tenant_session(sessions, principal.organisation_id) as session, session.begin():
        context = SimpleNamespace(
            session=session, principal=principal, loaders=Loaders(session, principal)
        )
        info: Any = SimpleNamespace(context=context)
        with counting() as statements:
            found = await asyncio.gather(
                *(
                    load_decisions_of_meeting(info, uuid.UUID(_raw_id(meeting)))
                    for meeting in (first, second, empty)
                )
            )

    assert [[decision.text for decision in listed] for listed in found] == [["A", "C"], ["B"], []]
    queries = [statement for statement in statements if "set_config" not in statement]
    assert len(queries) == 1, queries


# --- statements ----------------------------------------------------------------------------


DEEP = """
query Deep($alliance: ID!) {
  decisions(alliance: $alliance, first: 50) {
    edges { node { text votes { choice organisation { slug } } } }
  }
}
"""


async def test_decisions_votes_organisations_in_constant_statements(
    board: Board, engine: AsyncEngine
) -> None:
    token = board.tokens["observer"]
    first = await board.decision("First")
    await board.vote("chair", first)
    await gql(board.client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        before = await gql(board.client, token, DEEP, {"alliance": board.alliance})
    for n in range(4):
        decision = await board.decision(f"More {n}")
        for role in ("chair", "secretary", "member"):
            await board.vote(role, decision, "AGAINST")
    with counting() as large:
        after = await gql(board.client, token, DEEP, {"alliance": board.alliance})

    assert len(before["data"]["decisions"]["edges"]) == 1
    edges = after["data"]["decisions"]["edges"]
    assert len(edges) == 5
    assert sum(len(edge["node"]["votes"]) for edge in edges) == 13
    assert len(large) == len(small), "\n".join(large)
    # the request start (credential, role and tenant), decisions, votes of all decisions,
    # organisations
    assert len(small) == 4, "\n".join(small)


async def test_vote_count_in_the_database_matches_the_tally(board: Board) -> None:
    decision = await board.decision()
    await board.vote("chair", decision)
    await board.vote("secretary", decision, "AGAINST")
    async with board.world.sessions() as session:
        count = await session.scalar(select(func.count()).select_from(Vote))
        stored = await session.scalar(select(Decision))
    assert count == 2
    assert stored is not None
    assert (stored.votes_for, stored.votes_against, stored.votes_abstain) == (1, 1, 0)
