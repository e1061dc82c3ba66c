"""Pending votes: ``decisions(filter: {awaitingMyVote: true}, orderBy: CLOSES_AT)`` without
an alliance lists the open decisions on which the reader's organisation may still vote,
across every alliance it is a current member of, the most urgent first.

The rule is castVote's, not a copy of it: a decision is listed exactly when castVote would
accept the organisation's vote (with a governance:write credential), which the tests check
side by side for every seat role, voting flag and state of the decision.

The cast, in three alliances:
- north: helix leads and chairs the steering committee; basel (secretary) and cairo
  (member) hold voting seats there, dover a member's seat without a vote;
- south: basel leads and chairs the steering committee; helix holds a voting member's seat
  there, and a non-voting one on south's working group;
- east: gdansk leads and chairs; cairo holds a voting seat; helix is not a member.

The decisions (recorded through the domain a second apart, in this order; deadlines from
the moment the cast is made):

| text           | committee       | procedure | state                           |
|----------------|-----------------|-----------|---------------------------------|
| n-meeting      | north steering  | meeting   | open                            |
| n-written-late | north steering  | written   | open, closes in 10 days         |
| n-written-soon | north steering  | written   | open, closes in 2 days          |
| n-closed       | north steering  | meeting   | closed                          |
| n-past         | north steering  | written   | open, deadline passed           |
| n-voted        | north steering  | written   | open, 5 days; helix voted       |
| s-written      | south steering  | written   | open, closes in 1 day           |
| s-meeting      | south steering  | meeting   | open                            |
| s-group        | south group     | written   | open, 3 days (helix: no vote)   |
| e-written      | east steering   | written   | open, closes in 1 day           |
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from auth import policy
from auth.scopes import Scope
from db.enums import (
    DecisionProcedure,
    MeetingKind,
    MeetingStatus,
    MembershipRole,
    SeatRole,
    UserRole,
    VoteChoice,
)
from db.governance import Committee, Decision, Meeting, Seat, Vote
from db.models import Membership, utcnow
from db.unit_of_work import Actor, act_as
from portal import alliances, decisions
from tests.builders import Org, World, counting, gid, gql, top_level_codes, walk_both_ways

LIST = """
query Pending($alliance: ID, $filter: DecisionFilter = {awaitingMyVote: true},
              $orderBy: DecisionOrder = CLOSES_AT,
              $first: Int, $after: String, $last: Int, $before: String) {
  decisions(alliance: $alliance, filter: $filter, orderBy: $orderBy,
            first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id text status closesAt createdAt
                          committee { name alliance { name } } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
VOTE = """
mutation Vote($input: CastVoteInput!) {
  castVote(input: $input) { vote { choice } userErrors { field code } }
}
"""
SLUGS = ("helix", "basel", "cairo", "dover", "gdansk")
ALLIANCES = ("north", "south", "east")
LEADS = {"north": "helix", "south": "basel", "east": "gdansk"}


@dataclass
class Cast:
    world: World
    client: httpx.AsyncClient
    orgs: dict[str, Org]
    alliance_ids: dict[str, uuid.UUID]
    committees: dict[str, uuid.UUID]
    t0: dt.datetime
    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)
    _recorded: int = 0

    def alliance(self, name: str) -> str:
        return gid("Alliance", self.alliance_ids[name])

    def decision(self, text: str) -> str:
        return gid("Decision", self.ids[text])

    async def token(self, who: str) -> str:
        if who not in self._tokens:
            self._tokens[who] = await self.world.token(self.orgs[who])
        return self._tokens[who]

    async def page(self, who: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        body = await gql(self.client, token or await self.token(who), LIST, variables)
        assert "errors" not in body, body
        connection: dict[str, Any] = body["data"]["decisions"]
        return connection

    async def pending(self, who: str, **variables: Any) -> list[str]:
        page = await self.page(who, first=100, **variables)
        return [edge["node"]["text"] for edge in page["edges"]]

    async def meeting(self, committee_id: uuid.UUID) -> uuid.UUID:
        async with self.world.sessions() as session, session.begin():
            committee = await session.get(Committee, committee_id)
            assert committee is not None
            alliance = next(n for n, i in self.alliance_ids.items() if i == committee.alliance_id)
            act_as(session, Actor.operator(self.orgs[LEADS[alliance]].id))
            starts_at = self.t0 + dt.timedelta(days=30)
            meeting = Meeting(
                id=uuid.uuid4(),
                alliance_id=committee.alliance_id,
                committee_id=committee_id,
                title="Board meeting",
                kind=MeetingKind.ORDINARY,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(hours=2),
                location="Basel",
                status=MeetingStatus.SCHEDULED,
                agenda_deadline=starts_at - dt.timedelta(days=3),
                version=1,
            )
            session.add(meeting)
        return meeting.id

    async def record(
        self,
        chair: str,
        committee: str,
        text: str,
        *,
        closes_in: dt.timedelta | None = None,
    ) -> uuid.UUID:
        """A decision recorded by the committee's chair through the domain, a second after
        the one before: a written procedure with ``closes_in``, else one in a meeting."""
        self._recorded += 1
        now = self.t0 + dt.timedelta(seconds=self._recorded)
        committee_id = self.committees[committee]
        meeting_id = await self.meeting(committee_id) if closes_in is None else None
        principal = self.world.principal(self.orgs[chair])
        async with self.world.acting(principal) as session:
            row = await decisions.record_decision(
                session,
                principal,
                committee_id,
                text=text,
                procedure=DecisionProcedure.MEETING if meeting_id else DecisionProcedure.WRITTEN,
                meeting_id=meeting_id,
                closes_at=self.t0 + closes_in if closes_in is not None else None,
                now=now,
            )
        self.ids[text] = row.id
        return row.id

    async def vote(self, who: str, text: str) -> None:
        principal = self.world.principal(self.orgs[who])
        async with self.world.acting(principal) as session:
            await decisions.cast_vote(
                session, principal, self.ids[text], choice=VoteChoice.FOR, now=utcnow()
            )

    async def close(self, chair: str, text: str) -> None:
        principal = self.world.principal(self.orgs[chair])
        async with self.world.acting(principal) as session:
            await decisions.close_decision(session, principal, self.ids[text], now=utcnow())

    async def move_deadline(self, text: str, closes_at: dt.datetime) -> None:
        """Set a deadline directly (the API only accepts future ones)."""
        async with self.world.sessions() as session, session.begin():
            act_as(session, Actor.operator(self.orgs["helix"].id))
            await session.execute(
                update(Decision).where(Decision.id == self.ids[text]).values(closes_at=closes_at)
            )

    async def cast_vote(self, who: str, text: str, token: str | None = None) -> str:
        """Cast ``who``'s vote over the API: ``ok`` or the refusal's code."""
        body = await gql(
            self.client,
            token or await self.token(who),
            VOTE,
            {"input": {"decision": self.decision(text), "choice": "FOR"}},
        )
        if "errors" in body:
            return str(body["errors"][0]["extensions"]["code"])
        errors = body["data"]["castVote"]["userErrors"]
        return str(errors[0]["code"]) if errors else "ok"


@pytest.fixture
async def cast(client: httpx.AsyncClient, world: World) -> Cast:
    orgs = {slug: await world.organisation(slug) for slug in SLUGS}
    alliance_ids = {
        "north": await world.alliance(
            orgs["helix"], orgs["basel"], orgs["cairo"], orgs["dover"], name="North"
        ),
        "south": await world.alliance(orgs["basel"], orgs["helix"], orgs["dover"], name="South"),
        "east": await world.alliance(orgs["gdansk"], orgs["cairo"], name="East"),
    }
    committees = {
        f"{name} steering": await world.steering(alliance_ids[name]) for name in ALLIANCES
    }
    committees["south group"] = await world.committee(
        alliance_ids["south"], committees["south steering"], name="South group"
    )
    seats = [
        ("north steering", "basel", SeatRole.SECRETARY, True),
        ("north steering", "cairo", SeatRole.MEMBER, True),
        ("north steering", "dover", SeatRole.MEMBER, False),
        ("south steering", "helix", SeatRole.MEMBER, True),
        ("south group", "basel", SeatRole.CHAIR, True),
        ("south group", "helix", SeatRole.MEMBER, False),
        ("south group", "dover", SeatRole.MEMBER, True),
        ("east steering", "cairo", SeatRole.MEMBER, True),
    ]
    for committee, slug, role, voting in seats:
        await world.seat(committees[committee], orgs[slug], role, voting=voting)
    result = Cast(world, client, orgs, alliance_ids, committees, utcnow())
    day = dt.timedelta(days=1)
    await result.record("helix", "north steering", "n-meeting")
    await result.record("helix", "north steering", "n-written-late", closes_in=10 * day)
    await result.record("helix", "north steering", "n-written-soon", closes_in=2 * day)
    await result.record("helix", "north steering", "n-closed")
    await result.close("helix", "n-closed")
    await result.record("helix", "north steering", "n-past", closes_in=3 * day)
    await result.move_deadline("n-past", utcnow() - dt.timedelta(minutes=1))
    await result.record("helix", "north steering", "n-voted", closes_in=5 * day)
    await result.vote("helix", "n-voted")
    await result.record("basel", "south steering", "s-written", closes_in=day)
    await result.record("basel", "south steering", "s-meeting")
    await result.record("basel", "south group", "s-group", closes_in=3 * day)
    await result.record("gdansk", "east steering", "e-written", closes_in=day)
    return result


async def snapshot(world: World) -> list[tuple[Any, ...]]:
    """Every decision and vote as stored, to prove that a refused read changed nothing."""
    async with world.sessions() as session:
        rows = (await session.scalars(select(Decision).order_by(Decision.id))).all()
        votes = (await session.scalars(select(Vote).order_by(Vote.id))).all()
    return [(d.id, d.status, d.votes_for, d.closes_at, d.closed_at) for d in rows] + [
        (v.id, v.decision_id, v.organisation_id) for v in votes
    ]


BASEL_PENDING = [
    *("s-written", "n-written-soon", "s-group", "n-voted", "n-written-late"),
    *("n-meeting", "s-meeting"),
]
"""basel's: it is the secretary of north's steering committee and chairs south's."""
HELIX_PENDING = ["s-written", "n-written-soon", "n-written-late", "n-meeting", "s-meeting"]
"""helix's pending votes, most urgent first: by deadline, then those in meetings (no
deadline) in the order they were recorded."""


# --- what the list holds ---------------------------------------------------------------------


async def test_my_pending_votes_across_alliances_most_urgent_first(cast: Cast) -> None:
    page = await cast.page("helix", first=100)
    assert [
        (e["node"]["text"], e["node"]["committee"]["alliance"]["name"], e["node"]["status"])
        for e in page["edges"]
    ] == [
        ("s-written", "South", "OPEN"),
        ("n-written-soon", "North", "OPEN"),
        ("n-written-late", "North", "OPEN"),
        ("n-meeting", "North", "OPEN"),
        ("s-meeting", "South", "OPEN"),
    ]
    deadlines = [e["node"]["closesAt"] for e in page["edges"]]
    assert deadlines[3:] == [None, None]
    assert deadlines[:3] == sorted(deadlines[:3])


@pytest.mark.parametrize(
    ("reader", "expected"),
    [
        pytest.param("helix", HELIX_PENDING, id="north-chair-and-south-member"),
        pytest.param(
            "basel",
            BASEL_PENDING,
            id="north-secretary-and-south-chair",
        ),
        pytest.param(
            "cairo",
            ["e-written", "n-written-soon", "n-voted", "n-written-late", "n-meeting"],
            id="voting-member-in-north-and-east",
        ),
        pytest.param("dover", ["s-group"], id="votes-only-on-south-group"),
        pytest.param("gdansk", [], id="chair-with-nothing-pending"),
    ],
)
async def test_each_organisation_sees_only_what_awaits_its_own_vote(
    cast: Cast, reader: str, expected: list[str]
) -> None:
    if reader == "gdansk":
        await cast.vote("gdansk", "e-written")
    assert await cast.pending(reader) == expected


async def test_the_list_is_every_alliance_list_in_one(cast: Cast) -> None:
    for reader in SLUGS:
        across = (await cast.page(reader, first=100))["edges"]
        per_alliance = [
            edge
            for name in ALLIANCES
            for edge in (await cast.page(reader, alliance=cast.alliance(name), first=100))["edges"]
        ]
        per_alliance.sort(
            key=lambda e: (
                e["node"]["closesAt"] is None,
                e["node"]["closesAt"] or "",
                e["node"]["createdAt"],
            )
        )
        assert [e["node"] for e in across] == [e["node"] for e in per_alliance], reader


async def test_not_awaiting_my_vote_is_everything_else(cast: Cast) -> None:
    everything = await cast.pending("helix", filter={})
    others = await cast.pending("helix", filter={"awaitingMyVote": False})
    assert sorted(others) == sorted(set(everything) - set(HELIX_PENDING))
    assert sorted(others) == ["n-closed", "n-past", "n-voted", "s-group"]
    # CLOSES_AT orders every decision by deadline, those without one last
    assert everything == [
        "n-past",
        "s-written",
        "n-written-soon",
        "s-group",
        "n-voted",
        "n-written-late",
        "n-meeting",
        "n-closed",
        "s-meeting",
    ]
    # and the filter combines with the others
    assert await cast.pending(
        "helix",
        filter={
            "awaitingMyVote": True,
            "committee": gid("Committee", cast.committees["south steering"]),
        },
    ) == ["s-written", "s-meeting"]
    assert (
        await cast.pending("helix", filter={"awaitingMyVote": True, "statuses": ["CLOSED"]}) == []
    )
    newest_first = await cast.pending("helix", orderBy="CREATED_AT_DESC")
    assert newest_first == [
        "s-meeting",
        "s-written",
        "n-written-soon",
        "n-written-late",
        "n-meeting",
    ]


# --- the rule is castVote's ------------------------------------------------------------------


@pytest.mark.parametrize("voting", [True, False], ids=["voting", "non-voting"])
@pytest.mark.parametrize("role", list(SeatRole), ids=[r.value for r in SeatRole])
async def test_listed_exactly_when_cast_vote_accepts_for_each_seat(
    cast: Cast, role: SeatRole, voting: bool
) -> None:
    """cairo takes each kind of seat on a new north committee: the decision is listed for
    it exactly when policy.is_voting_seat says the seat votes and castVote accepts; once
    voted, it drops out."""
    committee_id = await cast.world.committee(
        cast.alliance_ids["north"], cast.committees["north steering"], name="Lab"
    )
    cast.committees["lab"] = committee_id
    seat_id = await cast.world.seat(committee_id, cast.orgs["cairo"], role, voting=voting)
    chair = "cairo" if role is SeatRole.CHAIR else "helix"
    if chair == "helix":
        await cast.world.seat(committee_id, cast.orgs["helix"], SeatRole.CHAIR)
    await cast.record(chair, "lab", "lab-decision", closes_in=dt.timedelta(days=1))

    seat = await cast.world.get(Seat, seat_id)
    votes = policy.is_voting_seat(seat)
    assert votes is (voting and role is not SeatRole.OBSERVER)
    listed = "lab-decision" in await cast.pending("cairo")
    assert listed is votes
    assert await cast.cast_vote("cairo", "lab-decision") == ("ok" if votes else "FORBIDDEN")
    assert "lab-decision" not in await cast.pending("cairo")


@pytest.mark.parametrize(
    ("who", "text", "refusal"),
    [
        pytest.param("helix", "n-closed", "CONFLICT", id="closed"),
        pytest.param("helix", "n-past", "CONFLICT", id="deadline-passed"),
        pytest.param("helix", "n-voted", "CONFLICT", id="already-voted"),
        pytest.param("helix", "s-group", "FORBIDDEN", id="non-voting-seat"),
        pytest.param("dover", "n-written-soon", "FORBIDDEN", id="non-voting-member-seat"),
        pytest.param("dover", "s-written", "FORBIDDEN", id="no-seat"),
        pytest.param("helix", "e-written", "NOT_FOUND", id="alliance-not-a-member-of"),
    ],
)
async def test_what_cast_vote_refuses_is_never_listed(
    cast: Cast, who: str, text: str, refusal: str
) -> None:
    assert text not in await cast.pending(who)
    assert await cast.cast_vote(who, text) == refusal


async def test_what_is_listed_cast_vote_accepts(cast: Cast) -> None:
    for text in HELIX_PENDING:
        assert await cast.cast_vote("helix", text) == "ok", text
    assert await cast.pending("helix") == []


async def test_a_deadline_reached_drops_the_decision(cast: Cast) -> None:
    await cast.move_deadline("s-written", utcnow())
    assert "s-written" not in await cast.pending("helix")
    assert await cast.cast_vote("helix", "s-written") == "CONFLICT"


async def test_a_seat_given_up_drops_its_decisions(cast: Cast) -> None:
    async with cast.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(cast.orgs["basel"].id))
        seat = await session.scalar(
            select(Seat).where(
                Seat.committee_id == cast.committees["south steering"],
                Seat.organisation_id == cast.orgs["helix"].id,
            )
        )
        assert seat is not None
        await session.delete(seat)
    assert await cast.pending("helix") == ["n-written-soon", "n-written-late", "n-meeting"]


async def test_an_alliance_the_organisation_left_drops_out(cast: Cast) -> None:
    principal = cast.world.principal(cast.orgs["helix"])
    async with cast.world.acting(principal) as session:
        await alliances.leave_alliance(session, principal, cast.alliance_ids["south"])
    assert await cast.pending("helix") == ["n-written-soon", "n-written-late", "n-meeting"]
    assert await cast.pending("helix", filter={}) == [
        "n-past",
        "n-written-soon",
        "n-voted",
        "n-written-late",
        "n-meeting",
        "n-closed",
    ]


async def test_a_former_membership_alone_hides_the_alliance(cast: Cast) -> None:
    """With the membership ended in the database and the seat left behind, the alliance's
    decisions still drop out."""
    async with cast.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(cast.orgs["basel"].id))
        await session.execute(
            update(Membership)
            .where(
                Membership.alliance_id == cast.alliance_ids["south"],
                Membership.organisation_id == cast.orgs["helix"].id,
            )
            .values(left_at=utcnow())
        )
    assert await cast.pending("helix") == ["n-written-soon", "n-written-late", "n-meeting"]


# --- pagination across alliances -----------------------------------------------------------------


@pytest.mark.parametrize(
    "filter_",
    [{"awaitingMyVote": True}, {}],
    ids=["pending", "every-decision"],
)
@pytest.mark.parametrize("order_by", ["CLOSES_AT", "CREATED_AT_DESC"])
@pytest.mark.parametrize("size", [1, 2, 3])
async def test_cursors_page_across_alliances_both_ways(
    cast: Cast, filter_: dict[str, Any], order_by: str, size: int
) -> None:
    expected = await cast.pending("basel", filter=filter_, orderBy=order_by)
    assert len(expected) >= 7

    forwards, backwards = await walk_both_ways(
        partial(cast.page, "basel", filter=filter_, orderBy=order_by),
        lambda node: node["text"],
        size,
    )
    assert forwards == expected
    assert backwards == expected


async def test_a_vote_between_pages_skips_nothing(cast: Cast) -> None:
    """The cursor holds the sort key, so a decision voted on (and so gone) between two
    pages shifts nothing: the next page starts right after the last one seen."""
    first = await cast.page("helix", first=2)
    assert [e["node"]["text"] for e in first["edges"]] == HELIX_PENDING[:2]
    await cast.vote("helix", "n-written-soon")  # on the first page
    rest = await cast.page("helix", first=10, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["text"] for e in rest["edges"]] == HELIX_PENDING[2:]


# --- refusals ------------------------------------------------------------------------------


async def test_reading_needs_governance_read_and_voting_governance_write(cast: Cast) -> None:
    no_read = await cast.world.token(cast.orgs["helix"], scopes=frozenset({Scope.ALLIANCES_READ}))
    body = await gql(cast.client, no_read, LIST, {})
    assert top_level_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None
    # a viewer's credential (governance:read, no governance:write) sees the organisation's
    # pending votes, and cannot cast them
    viewer = await cast.world.token(cast.orgs["helix"], role=UserRole.VIEWER)
    page = await cast.page("helix", token=viewer, first=100)
    assert [e["node"]["text"] for e in page["edges"]] == HELIX_PENDING
    assert await cast.cast_vote("helix", "s-written", token=viewer) == "FORBIDDEN"
    assert await cast.pending("helix") == HELIX_PENDING


def _cursor(*parts: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


NOW = "2026-03-01T09:00:00+00:00"


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        pytest.param({"after": "bm9wZQ"}, "BAD_USER_INPUT", id="not-a-cursor"),
        pytest.param({"before": "%%%"}, "BAD_USER_INPUT", id="not-base64"),
        pytest.param(
            {"after": _cursor("created_desc", NOW, str(uuid.uuid4()))},
            "BAD_USER_INPUT",
            id="cursor-of-another-ordering",
        ),
        pytest.param(
            {
                "orderBy": "CREATED_AT_DESC",
                "after": _cursor("closes_at", None, NOW, str(uuid.uuid4())),
            },
            "BAD_USER_INPUT",
            id="deadline-cursor-for-another-ordering",
        ),
        pytest.param(
            {"after": _cursor("closes_at", "soon", NOW, str(uuid.uuid4()))},
            "BAD_USER_INPUT",
            id="not-a-deadline",
        ),
        pytest.param(
            {"after": _cursor("closes_at", "2026-03-01T09:00:00", NOW, str(uuid.uuid4()))},
            "BAD_USER_INPUT",
            id="deadline-without-offset",
        ),
        pytest.param(
            {"after": _cursor("closes_at", None, NOW, "not-a-uuid")},
            "BAD_USER_INPUT",
            id="not-an-id",
        ),
        pytest.param({"after": _cursor("closes_at", None, NOW)}, "BAD_USER_INPUT", id="too-short"),
        pytest.param(
            {"after": _cursor("closes_at", 5, NOW, str(uuid.uuid4()))},
            "BAD_USER_INPUT",
            id="deadline-of-another-type",
        ),
        pytest.param({"alliance": "nonsense"}, "BAD_USER_INPUT", id="bad-alliance"),
        pytest.param(
            {"filter": {"awaitingMyVote": True, "committee": "nonsense"}},
            "BAD_USER_INPUT",
            id="bad-committee",
        ),
        pytest.param({"first": 101}, "BAD_USER_INPUT", id="page-too-large"),
    ],
)
async def test_bad_arguments_get_a_typed_error_and_change_nothing(
    cast: Cast, variables: dict[str, Any], code: str
) -> None:
    before = await snapshot(cast.world)
    body = await gql(cast.client, await cast.token("helix"), LIST, variables)
    assert top_level_codes(body) == [code], body
    assert body["data"] is None
    assert await snapshot(cast.world) == before


async def test_an_id_of_another_type_lists_nothing(cast: Cast) -> None:
    assert await cast.pending("helix", alliance=gid("Organisation", cast.orgs["helix"].id)) == []
    assert await cast.pending("helix", alliance=cast.alliance("east")) == []


# --- cost ---------------------------------------------------------------------------------


DEEP = """
{ decisions(filter: {awaitingMyVote: true}, orderBy: CLOSES_AT, first: 100) {
    edges { node { text closesAt committee { name alliance { name } } meeting { title }
                   votes { choice organisation { slug } } } }
} }
"""


async def test_pending_votes_are_one_statement_whatever_their_number(cast: Cast) -> None:
    token = await cast.world.token(cast.orgs["dover"])
    await cast.record("basel", "south group", "s-meet")
    await cast.vote("basel", "s-meet")
    await gql(cast.client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        first = await gql(cast.client, token, DEEP)
    # dover joins east with a voting seat, and more decisions await it everywhere
    principal = cast.world.principal(cast.orgs["gdansk"])
    async with cast.world.acting(principal) as session:
        await alliances.add_member(
            session,
            principal,
            cast.alliance_ids["east"],
            organisation_slug="dover",
            role=MembershipRole.PARTNER,
        )
    await cast.world.seat(cast.committees["east steering"], cast.orgs["dover"], SeatRole.MEMBER)
    for n in range(3):
        await cast.record("gdansk", "east steering", f"e-{n}", closes_in=dt.timedelta(days=n + 1))
        await cast.record("basel", "south group", f"s-{n}")
    await cast.vote("cairo", "e-0")
    with counting() as large:
        second = await gql(cast.client, token, DEEP)

    assert "errors" not in second, second
    assert [e["node"]["text"] for e in first["data"]["decisions"]["edges"]] == [
        "s-group",
        "s-meet",
    ]
    texts = [e["node"]["text"] for e in second["data"]["decisions"]["edges"]]
    assert texts == ["e-written", "e-0", "e-1", "s-group", "e-2", "s-meet", "s-0", "s-1", "s-2"]
    assert len(large) == len(small), "\n".join(large)
    lists = [s for s in large if s.startswith("SELECT decisions.id")]
    assert len(lists) == 1, "\n".join(large)
