"""Research plans: versions and their diff, the life cycle, approval through a committee
decision, milestones and overdue queries; over HTTP unless a rule lives below the API.

The cast, in lead's alliance: lead leads it (and chairs the steering committee); owner
writes the plans; seated holds a seat on the working group with owner; listed is the
member named in ORGANISATIONS plans; partner is a member with no seat and not listed;
outsider leads an alliance of its own and is not a member here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.scopes import Scope
from db.enums import (
    DecisionOutcome,
    DecisionProcedure,
    DecisionStatus,
    MilestoneKind,
    MilestoneStatus,
    SeatRole,
    UserRole,
)
from db.governance import Decision, VisibilityGrant
from db.models import utcnow
from db.portfolio import IdempotencyKey, Milestone, Plan, PlanVersion
from db.session import tenant_session
from db.unit_of_work import Actor, act_as
from portal import plans
from portal.kernel.errors import BadInput, Conflict, NotFound
from tests.builders import Org, World, counting, gid, gql, succeeded

USER_ERRORS = "userErrors { field message code }"
PLAN_FIELDS = """id title summary body status visibility version approvedVersion
  approvedByDecision owner { slug } audience { slug } visibilityCommittee { id }"""
MILESTONE_FIELDS = """id kind title dueOn status overdue completedAt version
  responsibleOrganisation { slug }"""


def _mutation(name: str, payload: str, fields: str) -> str:
    input_type = name[0].upper() + name[1:] + "Input"
    return f"""
mutation Run($input: {input_type}!) {{
  {name}(input: $input) {{ {payload} {{ {fields} }} {USER_ERRORS} }}
}}
"""


CREATE = _mutation("createPlan", "plan", PLAN_FIELDS)
REVISE = _mutation("revisePlan", "plan", PLAN_FIELDS)
PROPOSE = _mutation("proposePlan", "plan", PLAN_FIELDS)
ACTIVATE = _mutation("activatePlan", "plan", PLAN_FIELDS)
COMPLETE = _mutation("completePlan", "plan", PLAN_FIELDS)
CANCEL = _mutation("cancelPlan", "plan", PLAN_FIELDS)
ADD_MILESTONE = _mutation("addMilestone", "milestone", MILESTONE_FIELDS)
UPDATE_MILESTONE = _mutation("updateMilestone", "milestone", MILESTONE_FIELDS)
SET_MILESTONE_STATUS = _mutation("setMilestoneStatus", "milestone", MILESTONE_FIELDS)

NAMES = {
    CREATE: "createPlan",
    REVISE: "revisePlan",
    PROPOSE: "proposePlan",
    ACTIVATE: "activatePlan",
    COMPLETE: "completePlan",
    CANCEL: "cancelPlan",
    ADD_MILESTONE: "addMilestone",
    UPDATE_MILESTONE: "updateMilestone",
    SET_MILESTONE_STATUS: "setMilestoneStatus",
}

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename
    ... on Plan { title version status }
    ... on PlanVersion { number title plan { id } author { slug } }
    ... on Milestone { title plan { id } }
  }
}
"""
LIST = """
query List($alliance: ID!, $filter: PlanFilter, $first: Int, $after: String,
           $last: Int, $before: String, $orderBy: PlanOrder) {
  plans(alliance: $alliance, filter: $filter, first: $first, after: $after, last: $last,
        before: $before, orderBy: $orderBy) {
    edges { cursor node { id title status } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
MILESTONES = """
query Milestones($alliance: ID!, $filter: MilestoneFilter, $first: Int, $after: String) {
  milestones(alliance: $alliance, filter: $filter, first: $first, after: $after) {
    edges { node { title dueOn status overdue } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

READERS = ("owner", "lead", "seated", "listed", "partner", "outsider")
AUDIENCE = {
    "ALLIANCE": {"owner", "lead", "seated", "listed", "partner"},
    "COMMITTEE": {"owner", "seated"},
    "ORGANISATIONS": {"owner", "listed"},
}
"""Who sees a plan of each visibility (the owner always does)."""


# --- the pure rules ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param("same\n", "same\n", "", id="unchanged"),
        pytest.param(
            "a\nb\nc\n",
            "a\nB\nc\n",
            "--- old\n+++ new\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
            id="one-line-changed",
        ),
        pytest.param(
            "",
            "first\n",
            "--- old\n+++ new\n@@ -0,0 +1 @@\n+first\n",
            id="from-empty",
        ),
        pytest.param(
            "one\ntwo\n",
            "one\n",
            "--- old\n+++ new\n@@ -1,2 +1 @@\n one\n-two\n",
            id="line-removed",
        ),
        pytest.param(
            "text",
            "text\n",
            "--- old\n+++ new\n@@ -1 +1 @@\n-text\n\\ No newline at end of file\n+text\n",
            id="only-a-final-newline",
        ),
        pytest.param(
            "x\r\ny",
            "x\r\nz",
            "--- old\n+++ new\n@@ -1,2 +1,2 @@\n x\r\n-y\n\\ No newline at end of file\n"
            "+z\n\\ No newline at end of file\n",
            id="only-newline-separates-lines",
        ),
    ],
)
def test_unified_diff_writes_what_diff_u_writes(old: str, new: str, expected: str) -> None:
    assert plans.unified_diff(old, new, from_label="old", to_label="new") == expected


def test_diff_versions_compares_each_field() -> None:
    old = plans.Content("Plan A", "Short", "line 1\nline 2\n")
    new = plans.Content("Plan A", "Longer summary", "line 1\nline 2\nline 3\n")

    diff = plans.diff_versions(1, old, 3, new)

    assert (diff.from_number, diff.to_number, diff.changed) == (1, 3, True)
    assert diff.title == plans.FieldDiff(changed=False, text="")
    assert diff.summary.changed
    assert diff.summary.text.splitlines()[:2] == [
        "--- plan/summary (version 1)",
        "+++ plan/summary (version 3)",
    ]
    assert diff.body.text.endswith("@@ -1,2 +1,3 @@\n line 1\n line 2\n+line 3\n")
    backwards = plans.diff_versions(3, new, 1, old)
    assert backwards.body.text.endswith(" line 2\n-line 3\n")
    assert not plans.diff_versions(2, new, 2, new).changed


TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    ("status", "due_on", "overdue"),
    [
        (MilestoneStatus.PLANNED, TODAY - dt.timedelta(days=1), True),
        (MilestoneStatus.IN_PROGRESS, TODAY - dt.timedelta(days=30), True),
        (MilestoneStatus.PLANNED, TODAY, False),
        (MilestoneStatus.IN_PROGRESS, TODAY + dt.timedelta(days=1), False),
        (MilestoneStatus.DONE, TODAY - dt.timedelta(days=1), False),
        (MilestoneStatus.CANCELLED, TODAY - dt.timedelta(days=1), False),
    ],
)
def test_overdue_means_open_and_due_before_today(
    status: MilestoneStatus, due_on: dt.date, overdue: bool
) -> None:
    assert plans.is_overdue(status, due_on, today=TODAY) is overdue


def test_today_is_the_utc_day() -> None:
    late_evening_in_new_york = dt.datetime(
        2026, 3, 9, 22, 0, tzinfo=dt.timezone(-dt.timedelta(hours=5))
    )
    assert plans.today_of(late_evening_in_new_york) == dt.date(2026, 3, 10)


# --- the cast and its builders -------------------------------------------------------------


@dataclass
class Cast:
    world: World
    client: httpx.AsyncClient
    orgs: dict[str, Org]
    alliance_id: uuid.UUID
    steering_id: uuid.UUID
    group_id: uuid.UUID
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def alliance(self) -> str:
        return gid("Alliance", self.alliance_id)

    def org(self, role: str) -> str:
        return gid("Organisation", self.orgs[role].id)

    async def run(self, role: str, mutation: str, **input: Any) -> dict[str, Any]:
        return await gql(self.client, self.tokens[role], mutation, {"input": input})

    async def ok(self, role: str, mutation: str, **input: Any) -> dict[str, Any]:
        body = await self.run(role, mutation, **input)
        return succeeded(body, NAMES[mutation])

    async def plan(self, visibility: str = "ALLIANCE", **input: Any) -> dict[str, Any]:
        """A plan of owner's, visible to the AUDIENCE of ``visibility``."""
        arguments: dict[str, Any] = {
            "alliance": self.alliance,
            "title": "Biomarker discovery",
            "summary": "Find markers.",
            "body": "Phase 1\nPhase 2\n",
            "visibility": visibility,
        }
        if visibility == "COMMITTEE":
            arguments["visibilityCommittee"] = gid("Committee", self.group_id)
        if visibility == "ORGANISATIONS":
            arguments["audience"] = [self.orgs["listed"].slug]
        result: dict[str, Any] = (await self.ok("owner", CREATE, **(arguments | input)))["plan"]
        return result

    async def milestone(self, plan: dict[str, Any], **input: Any) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "plan": plan["id"],
            "title": "Cohort recruited",
            "responsibleOrganisation": self.org("owner"),
            "dueOn": (utcnow().date() + dt.timedelta(days=30)).isoformat(),
        }
        result: dict[str, Any] = (await self.ok("owner", ADD_MILESTONE, **(arguments | input)))[
            "milestone"
        ]
        return result

    async def version_id(self, plan: dict[str, Any], number: int) -> uuid.UUID:
        async with self.world.sessions() as session:
            found = await session.scalar(
                select(PlanVersion.id).where(
                    PlanVersion.plan_id == raw(plan["id"]), PlanVersion.number == number
                )
            )
        assert found is not None
        return found

    async def decision(
        self,
        subject_id: uuid.UUID,
        *,
        status: DecisionStatus = DecisionStatus.CLOSED,
        outcome: DecisionOutcome | None = DecisionOutcome.APPROVED,
        subject_type: str = "PlanVersion",
    ) -> uuid.UUID:
        """A decision of the steering committee about ``subject_id``, made directly."""
        now = utcnow()
        decision = Decision(
            id=uuid.uuid4(),
            alliance_id=self.alliance_id,
            committee_id=self.steering_id,
            procedure=DecisionProcedure.WRITTEN,
            text="Approve the plan",
            status=status,
            outcome=outcome,
            quorum_met=status is DecisionStatus.CLOSED,
            subject_type=subject_type,
            subject_id=subject_id,
            closes_at=now,
            closed_at=now if status is DecisionStatus.CLOSED else None,
            created_at=now,
        )
        async with self.world.sessions() as session, session.begin():
            act_as(session, Actor.operator(self.orgs["lead"].id))
            session.add(decision)
        return decision.id

    async def as_org(self, role: str, action: Any) -> Any:
        """Run ``action(session, principal)`` in a tenant session of ``role``'s org."""
        org = self.orgs[role]
        principal = self.world.principal(org)
        async with tenant_session(self.world.sessions, org.id) as session, session.begin():
            act_as(session, Actor.of(principal))
            return await action(session, principal)

    async def approve(self, decision_id: uuid.UUID) -> None:
        """Apply a closed decision, as the decisions code does when the chair closes it."""

        async def apply(session: Any, principal: Any) -> None:
            decision = await session.get(Decision, decision_id)
            await plans.approve_by_decision(session, principal, decision)

        await self.as_org("lead", apply)


def raw(global_id: str) -> uuid.UUID:
    import base64

    return uuid.UUID(base64.b64decode(global_id).decode().split(":", 1)[1])


@pytest.fixture
async def cast(client: httpx.AsyncClient, world: World) -> Cast:
    orgs = {role: await world.organisation(role) for role in READERS}
    members = (orgs[role] for role in ("owner", "seated", "listed", "partner"))
    alliance_id = await world.alliance(orgs["lead"], *members)
    await world.alliance(orgs["outsider"], name="Elsewhere")
    steering_id = await world.steering(alliance_id)
    group_id = await world.committee(alliance_id, steering_id, name="Biomarker group")
    await world.seat(group_id, orgs["owner"], SeatRole.CHAIR)
    await world.seat(group_id, orgs["seated"], SeatRole.MEMBER)
    result = Cast(world, client, orgs, alliance_id, steering_id, group_id)
    for role, org in orgs.items():
        result.tokens[role] = await world.token(org)
    result.tokens["viewer_token"] = await world.token(orgs["owner"], role=UserRole.VIEWER)
    result.tokens["read_only_token"] = await world.token(
        orgs["owner"], scopes=frozenset({Scope.ALLIANCES_READ})
    )
    return result


async def snapshot(world: World) -> list[list[tuple[Any, ...]]]:
    """Every plan, version, milestone and grant as stored, to prove a refusal changed
    nothing."""
    async with world.sessions() as session:
        return [
            [
                (p.id, p.status, p.version, p.approved_version, p.visibility, p.updated_at)
                for p in await session.scalars(select(Plan).order_by(Plan.id))
            ],
            [
                (v.id, v.number, v.title, v.summary, v.body)
                for v in await session.scalars(select(PlanVersion).order_by(PlanVersion.id))
            ],
            [
                (m.id, m.title, m.status, m.version, m.due_on, m.responsible_organisation_id)
                for m in await session.scalars(select(Milestone).order_by(Milestone.id))
            ],
            [
                (g.object_id, g.organisation_id)
                for g in await session.scalars(select(VisibilityGrant).order_by(VisibilityGrant.id))
            ],
        ]


def refusal(body: dict[str, Any], mutation: str) -> tuple[str | None, str | None]:
    """``("TOP", code)`` for a top-level error, else the userError's ``(code, field)``."""
    if "errors" in body:
        assert body.get("data") is None or body["data"].get(NAMES[mutation]) is None
        return "TOP", body["errors"][0]["extensions"]["code"]
    errors = body["data"][NAMES[mutation]]["userErrors"]
    assert len(errors) == 1, errors
    assert (
        body["data"][NAMES[mutation]]["milestone" if "Milestone" in NAMES[mutation] else "plan"]
        is None
    )
    return errors[0]["code"], errors[0]["field"]


# --- reading: who sees what ----------------------------------------------------------------


@pytest.mark.parametrize("visibility", sorted(AUDIENCE))
async def test_a_plan_is_seen_by_its_audience_only(cast: Cast, visibility: str) -> None:
    plan = await cast.plan(visibility)
    await cast.milestone(plan)
    version = gid("PlanVersion", await cast.version_id(plan, 1))

    for reader in READERS:
        sees = reader in AUDIENCE[visibility]
        token = cast.tokens[reader]
        node = (await gql(cast.client, token, NODE, {"id": plan["id"]}))["data"]["node"]
        assert (node is not None) is sees, reader
        listed = await gql(cast.client, token, LIST, {"alliance": cast.alliance})
        ids = [edge["node"]["id"] for edge in listed["data"]["plans"]["edges"]]
        assert ids == ([plan["id"]] if sees else []), reader
        found = (await gql(cast.client, token, NODE, {"id": version}))["data"]["node"]
        assert (found is not None) is sees, reader
        milestones = await gql(cast.client, token, MILESTONES, {"alliance": cast.alliance})
        assert len(milestones["data"]["milestones"]["edges"]) == (1 if sees else 0), reader

    node = (await gql(cast.client, cast.tokens["owner"], NODE, {"id": version}))["data"]["node"]
    assert node == {
        "__typename": "PlanVersion",
        "number": 1,
        "title": "Biomarker discovery",
        "plan": {"id": plan["id"]},
        "author": {"slug": "owner"},
    }


async def test_reading_needs_the_plans_read_scope(cast: Cast) -> None:
    plan = await cast.plan()
    token = cast.tokens["read_only_token"]

    listed = await gql(cast.client, token, LIST, {"alliance": cast.alliance})
    node = await gql(cast.client, token, NODE, {"id": plan["id"]})
    milestones = await gql(cast.client, token, MILESTONES, {"alliance": cast.alliance})

    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert milestones["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert node["data"]["node"] is None
    viewer = await gql(cast.client, cast.tokens["viewer_token"], NODE, {"id": plan["id"]})
    assert viewer["data"]["node"]["title"] == "Biomarker discovery"


async def test_a_plan_shows_its_audience_and_committee(cast: Cast) -> None:
    by_organisations = await cast.plan("ORGANISATIONS")
    by_committee = await cast.plan("COMMITTEE")
    for_all = await cast.plan()

    assert sorted(o["slug"] for o in by_organisations["audience"]) == ["listed", "owner"]
    assert by_organisations["visibilityCommittee"] is None
    assert by_committee["visibilityCommittee"] == {"id": gid("Committee", cast.group_id)}
    assert by_committee["audience"] is None
    assert (for_all["audience"], for_all["visibilityCommittee"], for_all["visibility"]) == (
        None,
        None,
        "ALLIANCE",
    )
    assert for_all | {"id": None} == {
        "id": None,
        "title": "Biomarker discovery",
        "summary": "Find markers.",
        "body": "Phase 1\nPhase 2\n",
        "status": "DRAFT",
        "visibility": "ALLIANCE",
        "version": 1,
        "approvedVersion": None,
        "approvedByDecision": None,
        "owner": {"slug": "owner"},
        "audience": None,
        "visibilityCommittee": None,
    }


# --- creating ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "input", "refused"),
    [
        ("outsider", {}, ("NOT_FOUND", "alliance")),
        ("viewer_token", {}, ("TOP", "FORBIDDEN")),
        ("read_only_token", {}, ("TOP", "FORBIDDEN")),
        ("owner", {"title": "   "}, ("BAD_USER_INPUT", "title")),
        ("owner", {"title": "x" * 201}, ("BAD_USER_INPUT", "title")),
        ("owner", {"visibility": "COMMITTEE"}, ("BAD_USER_INPUT", "visibilityCommittee")),
        ("owner", {"audience": ["listed"]}, ("BAD_USER_INPUT", "audience")),
        (
            "owner",
            {"visibility": "ORGANISATIONS", "audience": ["outsider"]},
            ("BAD_USER_INPUT", "audience"),
        ),
        (
            "owner",
            {"visibility": "ORGANISATIONS", "audience": ["no-such-org"]},
            ("BAD_USER_INPUT", "audience"),
        ),
        ("owner", {"alliance": gid("Committee", uuid.uuid4())}, ("NOT_FOUND", "alliance")),
    ],
)
async def test_creating_a_plan_is_refused(
    cast: Cast, role: str, input: dict[str, Any], refused: tuple[str, str | None]
) -> None:
    before = await snapshot(cast.world)

    body = await cast.run(
        role, CREATE, **({"alliance": cast.alliance, "title": "Biomarker discovery"} | input)
    )

    assert refusal(body, CREATE) == refused
    assert await snapshot(cast.world) == before


async def test_a_committee_of_another_alliance_names_nothing(cast: Cast) -> None:
    elsewhere = await cast.world.alliance(cast.orgs["owner"], name="Owner's own")
    other_committee = await cast.world.steering(elsewhere)

    body = await cast.run(
        "owner",
        CREATE,
        alliance=cast.alliance,
        title="Plan",
        visibility="COMMITTEE",
        visibilityCommittee=gid("Committee", other_committee),
    )

    assert refusal(body, CREATE) == ("BAD_USER_INPUT", "visibilityCommittee")


async def test_any_member_creates_a_plan_with_version_one(cast: Cast) -> None:
    payload = await cast.ok(
        "partner", CREATE, alliance=cast.alliance, title="  Side study  ", body="Text"
    )

    plan = payload["plan"]
    assert (plan["title"], plan["status"], plan["version"]) == ("Side study", "DRAFT", 1)
    assert plan["owner"] == {"slug": "partner"}
    stored = await cast.world.get(Plan, raw(plan["id"]))
    assert stored.owner_organisation_id == cast.orgs["partner"].id
    async with cast.world.sessions() as session:
        versions = (await session.scalars(select(PlanVersion))).all()
    assert [(v.number, v.title, v.body, v.organisation_id) for v in versions] == [
        (1, "Side study", "Text", cast.orgs["partner"].id)
    ]


async def test_create_is_idempotent_under_a_key(cast: Cast) -> None:
    input = {"alliance": cast.alliance, "title": "Biomarker discovery", "idempotencyKey": "k-1"}
    first = await cast.ok("owner", CREATE, **input)
    before = await snapshot(cast.world)

    replay = await cast.ok("owner", CREATE, **input)
    assert replay["plan"]["id"] == first["plan"]["id"]
    assert await snapshot(cast.world) == before

    different = await cast.run("owner", CREATE, **(input | {"title": "Another plan"}))
    assert refusal(different, CREATE) == ("CONFLICT", "idempotencyKey")
    assert await snapshot(cast.world) == before

    # the key is the organisation's own: another organisation may use the same string
    theirs = await cast.ok("partner", CREATE, **input)
    assert theirs["plan"]["id"] != first["plan"]["id"]
    async with cast.world.sessions() as session:
        keys = await session.scalar(select(func.count()).select_from(IdempotencyKey))
        count = await session.scalar(select(func.count()).select_from(Plan))
    assert (keys, count) == (2, 2)


# --- changing: who may, and what a stale version gets --------------------------------------


PLAN_MUTATIONS = [
    (REVISE, {"title": "Changed"}),
    (PROPOSE, {}),
    (CANCEL, {}),
    (ACTIVATE, {}),
    (COMPLETE, {}),
]


@pytest.mark.parametrize("visibility", sorted(AUDIENCE))
async def test_only_the_owner_changes_a_plan(cast: Cast, visibility: str) -> None:
    plan = await cast.plan(visibility)
    milestone = await cast.milestone(plan)
    before = await snapshot(cast.world)
    attempts = [
        *(
            (mutation, {"plan": plan["id"], "version": 1} | extra)
            for mutation, extra in PLAN_MUTATIONS
        ),
        (
            ADD_MILESTONE,
            {
                "plan": plan["id"],
                "title": "More",
                "responsibleOrganisation": cast.org("owner"),
                "dueOn": "2030-01-01",
            },
        ),
        (UPDATE_MILESTONE, {"milestone": milestone["id"], "version": 1, "title": "Renamed"}),
        (SET_MILESTONE_STATUS, {"milestone": milestone["id"], "version": 1, "status": "DONE"}),
    ]

    for reader in READERS:
        if reader == "owner":
            continue
        for mutation, input in attempts:
            field = "milestone" if "milestone" in input else "plan"
            expected = (
                ("FORBIDDEN", None) if reader in AUDIENCE[visibility] else ("NOT_FOUND", field)
            )
            body = await cast.run(reader, mutation, **input)
            assert refusal(body, mutation) == expected, (reader, NAMES[mutation])
    for token in ("viewer_token", "read_only_token"):
        for mutation, input in attempts:
            assert refusal(await cast.run(token, mutation, **input), mutation) == (
                "TOP",
                "FORBIDDEN",
            )
    assert await snapshot(cast.world) == before

    revised = await cast.ok("owner", REVISE, plan=plan["id"], version=1, title="Changed")
    assert (revised["plan"]["title"], revised["plan"]["version"]) == ("Changed", 2)


@pytest.mark.parametrize(
    ("mutation", "extra"),
    [(REVISE, {"title": "Changed"}), (PROPOSE, {}), (CANCEL, {})],
)
async def test_a_stale_version_is_a_conflict_and_changes_nothing(
    cast: Cast, mutation: str, extra: dict[str, Any]
) -> None:
    plan = await cast.plan()
    await cast.ok("owner", REVISE, plan=plan["id"], version=1, body="Phase 1 only\n")
    before = await snapshot(cast.world)

    body = await cast.run("owner", mutation, plan=plan["id"], version=1, **extra)

    assert refusal(body, mutation) == ("CONFLICT", "version")
    assert await snapshot(cast.world) == before
    await cast.ok("owner", mutation, plan=plan["id"], version=2, **extra)


async def test_revisions_add_versions_and_the_diff_shows_what_changed(cast: Cast) -> None:
    plan = await cast.plan()
    await cast.ok("owner", REVISE, plan=plan["id"], version=1, body="Phase 1\nPhase 2b\n")
    payload = await cast.ok(
        "owner", REVISE, plan=plan["id"], version=2, title="Biomarker validation"
    )
    assert payload["plan"] | {"id": None, "owner": None} == {
        "id": None,
        "owner": None,
        "title": "Biomarker validation",
        "summary": "Find markers.",
        "body": "Phase 1\nPhase 2b\n",
        "status": "DRAFT",
        "visibility": "ALLIANCE",
        "version": 3,
        "approvedVersion": None,
        "approvedByDecision": None,
        "audience": None,
        "visibilityCommittee": None,
    }
    nothing = await cast.run("owner", REVISE, plan=plan["id"], version=3, summary="Find markers.")
    assert refusal(nothing, REVISE) == ("BAD_USER_INPUT", "plan")

    query = """
    query Diff($id: ID!) { node(id: $id) { ... on Plan {
      versions { number title body author { slug } }
      currentVersion { number }
      diff(from: 1, to: 3) { fromVersion toVersion changed
        title { changed diff } summary { changed diff } body { changed diff } }
      missing: diff(from: 1, to: 9) { changed }
    } } }
    """
    body = await gql(cast.client, cast.tokens["partner"], query, {"id": plan["id"]})

    node = body["data"]["node"]
    assert [(v["number"], v["title"], v["body"]) for v in node["versions"]] == [
        (1, "Biomarker discovery", "Phase 1\nPhase 2\n"),
        (2, "Biomarker discovery", "Phase 1\nPhase 2b\n"),
        (3, "Biomarker validation", "Phase 1\nPhase 2b\n"),
    ]
    assert {v["author"]["slug"] for v in node["versions"]} == {"owner"}
    assert node["currentVersion"] == {"number": 3}
    diff = node["diff"]
    assert (diff["fromVersion"], diff["toVersion"], diff["changed"]) == (1, 3, True)
    assert diff["summary"] == {"changed": False, "diff": ""}
    assert diff["title"]["changed"]
    assert diff["title"]["diff"].endswith(
        "-Biomarker discovery\n\\ No newline at end of file\n"
        "+Biomarker validation\n\\ No newline at end of file\n"
    )
    assert diff["body"] == {
        "changed": True,
        "diff": "--- plan/body (version 1)\n+++ plan/body (version 3)\n"
        "@@ -1,2 +1,2 @@\n Phase 1\n-Phase 2\n+Phase 2b\n",
    }
    assert node["missing"] is None


async def test_versions_are_immutable_for_the_application_role(cast: Cast) -> None:
    plan = await cast.plan()
    version_id = await cast.version_id(plan, 1)

    for statement in (
        "UPDATE plan_versions SET title = 'Rewritten history' WHERE id = :id",
        "DELETE FROM plan_versions WHERE id = :id",
    ):

        async def attempt(session: Any, principal: Any, sql: str = statement) -> None:
            await session.execute(text(sql), {"id": version_id})

        with pytest.raises(DBAPIError, match="permission denied"):
            await cast.as_org("owner", attempt)

    stored = await cast.world.get(PlanVersion, version_id)
    assert stored.title == "Biomarker discovery"


# --- the life cycle and approval through a decision ----------------------------------------


async def test_a_plan_is_approved_only_by_a_decision_on_its_current_version(cast: Cast) -> None:
    plan = await cast.plan()
    pid = plan["id"]
    body = await cast.run("owner", ACTIVATE, plan=pid, version=1)
    assert refusal(body, ACTIVATE) == ("BAD_USER_INPUT", "plan")  # a draft is not approved
    await cast.ok("owner", PROPOSE, plan=pid, version=1)
    again = await cast.run("owner", PROPOSE, plan=pid, version=1)
    assert refusal(again, PROPOSE) == ("BAD_USER_INPUT", "plan")

    # a vote on version 1 starts; meanwhile the owner revises: the vote is on a stale text
    stale = await cast.decision(await cast.version_id(plan, 1))
    revised = await cast.ok("owner", REVISE, plan=pid, version=1, body="Phase 1 amended\n")
    assert revised["plan"]["status"] == "DRAFT"
    before = await snapshot(cast.world)
    with pytest.raises(Conflict, match="revised after this version was put to the vote"):
        await cast.approve(stale)
    assert await snapshot(cast.world) == before

    await cast.ok("owner", PROPOSE, plan=pid, version=2)
    decision = await cast.decision(await cast.version_id(plan, 2))
    await cast.approve(decision)

    query = "query P($id: ID!) { node(id: $id) { ... on Plan { " + PLAN_FIELDS + " } } }"
    approved = (await gql(cast.client, cast.tokens["lead"], query, {"id": pid}))["data"]["node"]
    assert (approved["status"], approved["version"], approved["approvedVersion"]) == (
        "APPROVED",
        2,
        2,
    )
    assert approved["approvedByDecision"] == gid("Decision", decision)
    stored = await cast.world.get(Plan, raw(pid))
    assert stored.approved_by_decision_id == decision

    # amending an approved plan sends it back to draft; the approval on record stays
    amended = await cast.ok("owner", REVISE, plan=pid, version=2, summary="Amended")
    assert (amended["plan"]["status"], amended["plan"]["approvedVersion"]) == ("DRAFT", 2)
    assert amended["plan"]["approvedByDecision"] == gid("Decision", decision)
    await cast.ok("owner", PROPOSE, plan=pid, version=3)
    await cast.approve(await cast.decision(await cast.version_id(plan, 3)))

    active = await cast.ok("owner", ACTIVATE, plan=pid, version=3)
    assert (active["plan"]["status"], active["plan"]["approvedVersion"]) == ("ACTIVE", 3)
    active_revision = await cast.run("owner", REVISE, plan=pid, version=3, title="No")
    assert refusal(active_revision, REVISE) == ("BAD_USER_INPUT", "plan")

    milestone = await cast.milestone(plan)
    blocked = await cast.run("owner", COMPLETE, plan=pid, version=3)
    assert refusal(blocked, COMPLETE) == ("BAD_USER_INPUT", "plan")
    await cast.ok(
        "owner", SET_MILESTONE_STATUS, milestone=milestone["id"], version=1, status="DONE"
    )
    completed = await cast.ok("owner", COMPLETE, plan=pid, version=3)
    assert completed["plan"]["status"] == "COMPLETED"
    for mutation in (CANCEL, ACTIVATE, PROPOSE):
        body = await cast.run("owner", mutation, plan=pid, version=3)
        assert refusal(body, mutation) == ("BAD_USER_INPUT", "plan")
    late = await cast.run(
        "owner", SET_MILESTONE_STATUS, milestone=milestone["id"], version=2, status="IN_PROGRESS"
    )
    assert refusal(late, SET_MILESTONE_STATUS) == ("BAD_USER_INPUT", "plan")


@pytest.mark.parametrize(
    ("steps", "cancellable"),
    [
        pytest.param([], True, id="draft"),
        pytest.param([PROPOSE], True, id="proposed"),
        pytest.param([PROPOSE, "approve"], True, id="approved"),
        pytest.param([PROPOSE, "approve", ACTIVATE], True, id="active"),
        pytest.param([PROPOSE, "approve", ACTIVATE, COMPLETE], False, id="completed"),
        pytest.param([CANCEL], False, id="cancelled"),
    ],
)
async def test_cancel_from_any_state_that_is_not_final(
    cast: Cast, steps: list[str], cancellable: bool
) -> None:
    plan = await cast.plan()
    for step in steps:
        if step == "approve":
            await cast.approve(await cast.decision(await cast.version_id(plan, 1)))
        else:
            await cast.ok("owner", step, plan=plan["id"], version=1)
    milestone = await cast.milestone(plan) if cancellable else None

    body = await cast.run("owner", CANCEL, plan=plan["id"], version=1)

    if not cancellable:
        assert refusal(body, CANCEL) == ("BAD_USER_INPUT", "plan")
        return
    assert body["data"]["cancelPlan"]["plan"]["status"] == "CANCELLED"
    assert milestone is not None
    stored = await cast.world.get(Milestone, raw(milestone["id"]))
    assert (stored.status, stored.version) == (MilestoneStatus.CANCELLED, 2)


async def test_a_version_is_decidable_only_while_proposed_and_current(cast: Cast) -> None:
    plan = await cast.plan()
    committee_only = await cast.plan("COMMITTEE")
    first = await cast.version_id(plan, 1)

    async def check(role: str, version_id: uuid.UUID) -> None:
        async def run(session: Any, principal: Any) -> None:
            await plans.check_plan_version_decidable(session, principal, version_id)

        await cast.as_org(role, run)

    with pytest.raises(BadInput, match="only a proposed plan"):
        await check("lead", first)
    await cast.ok("owner", PROPOSE, plan=plan["id"], version=1)
    await check("lead", first)
    with pytest.raises(NotFound) as hidden:
        await check("lead", await cast.version_id(committee_only, 1))  # lead has no seat
    assert hidden.value.field == "subject"
    with pytest.raises(NotFound):
        await check("outsider", first)
    with pytest.raises(NotFound):
        await check("lead", uuid.uuid4())

    await cast.ok("owner", REVISE, plan=plan["id"], version=1, title="Revised")
    await cast.ok("owner", PROPOSE, plan=plan["id"], version=2)
    with pytest.raises(Conflict, match="not the plan's current version"):
        await check("lead", first)
    await check("lead", await cast.version_id(plan, 2))


RECORD_DECISION = """
mutation Record($input: RecordDecisionInput!) {
  recordDecision(input: $input) {
    decision { subject { type id node { __typename ... on PlanVersion { number } } } }
    userErrors { field code }
  }
}
"""


async def test_a_decision_names_a_plan_version_by_its_global_id(cast: Cast) -> None:
    plan = await cast.plan()
    hidden = await cast.plan("COMMITTEE")  # the lead holds no seat on the working group
    await cast.ok("owner", PROPOSE, plan=plan["id"], version=1)
    input = {
        "committee": gid("Committee", cast.steering_id),
        "text": "Approve the biomarker plan",
        "procedure": "WRITTEN",
        "closesAt": (utcnow() + dt.timedelta(days=14)).isoformat(),
    }
    version = gid("PlanVersion", await cast.version_id(plan, 1))

    recorded = await gql(
        cast.client, cast.tokens["lead"], RECORD_DECISION, {"input": input | {"subject": version}}
    )
    refused = await gql(
        cast.client,
        cast.tokens["lead"],
        RECORD_DECISION,
        {"input": input | {"subject": gid("PlanVersion", await cast.version_id(hidden, 1))}},
    )

    assert recorded["data"]["recordDecision"] == {
        "decision": {
            "subject": {
                "type": "PlanVersion",
                "id": version,
                "node": {"__typename": "PlanVersion", "number": 1},
            }
        },
        "userErrors": [],
    }
    assert refused["data"]["recordDecision"]["userErrors"] == [
        {"field": "subject", "code": "NOT_FOUND"}
    ]


@pytest.mark.parametrize(
    ("decision", "error"),
    [
        pytest.param({"outcome": DecisionOutcome.REJECTED}, BadInput, id="rejected"),
        pytest.param({"outcome": DecisionOutcome.DEFERRED}, BadInput, id="deferred"),
        pytest.param({"status": DecisionStatus.OPEN, "outcome": None}, BadInput, id="open"),
        pytest.param({"subject_type": "Plan"}, BadInput, id="about-another-type"),
    ],
)
async def test_only_an_approving_decision_on_a_version_approves(
    cast: Cast, decision: dict[str, Any], error: type[Exception]
) -> None:
    plan = await cast.plan()
    await cast.ok("owner", PROPOSE, plan=plan["id"], version=1)
    version_id = await cast.version_id(plan, 1)
    decision_id = await cast.decision(version_id, **decision)
    before = await snapshot(cast.world)

    with pytest.raises(error):
        await cast.approve(decision_id)

    assert await snapshot(cast.world) == before


async def test_a_decision_of_another_alliance_does_not_approve(cast: Cast) -> None:
    plan = await cast.plan()
    await cast.ok("owner", PROPOSE, plan=plan["id"], version=1)
    version_id = await cast.version_id(plan, 1)
    decision_id = await cast.decision(version_id)
    elsewhere = await cast.world.alliance(cast.orgs["lead"], name="Lead's second")
    async with cast.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(cast.orgs["lead"].id))
        stored = await session.get(Decision, decision_id)
        assert stored is not None
        stored.alliance_id = elsewhere
        stored.committee_id = await session.scalar(
            text("SELECT id FROM committees WHERE alliance_id = :a"), {"a": elsewhere}
        )

    with pytest.raises(BadInput, match="another alliance"):
        await cast.approve(decision_id)


# --- milestones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "responsible", "refused"),
    [
        ("ALLIANCE", "outsider", ("BAD_USER_INPUT", "responsibleOrganisation")),
        ("COMMITTEE", "partner", ("BAD_USER_INPUT", "responsibleOrganisation")),
        ("ORGANISATIONS", "seated", ("BAD_USER_INPUT", "responsibleOrganisation")),
        ("ALLIANCE", None, ("NOT_FOUND", "responsibleOrganisation")),
    ],
)
async def test_the_responsible_organisation_must_be_a_member_who_sees_the_plan(
    cast: Cast, visibility: str, responsible: str | None, refused: tuple[str, str]
) -> None:
    plan = await cast.plan(visibility)
    before = await snapshot(cast.world)
    organisation = cast.org(responsible) if responsible else gid("Alliance", cast.alliance_id)

    body = await cast.run(
        "owner",
        ADD_MILESTONE,
        plan=plan["id"],
        title="Assay ready",
        responsibleOrganisation=organisation,
        dueOn="2030-01-01",
    )

    assert refusal(body, ADD_MILESTONE) == refused
    assert await snapshot(cast.world) == before
    member = {"ALLIANCE": "partner", "COMMITTEE": "seated", "ORGANISATIONS": "listed"}
    added = await cast.milestone(plan, responsibleOrganisation=cast.org(member[visibility]))
    assert added["responsibleOrganisation"] == {"slug": member[visibility]}


async def test_the_responsible_organisation_sets_the_status_but_does_not_edit(cast: Cast) -> None:
    plan = await cast.plan()
    milestone = await cast.milestone(
        plan, responsibleOrganisation=cast.org("partner"), kind="DELIVERABLE"
    )
    mid = milestone["id"]
    assert (milestone["kind"], milestone["status"], milestone["version"]) == (
        "DELIVERABLE",
        "PLANNED",
        1,
    )
    before = await snapshot(cast.world)

    edit = await cast.run("partner", UPDATE_MILESTONE, milestone=mid, version=1, title="Mine")
    assert refusal(edit, UPDATE_MILESTONE) == ("FORBIDDEN", None)
    other = await cast.run("listed", SET_MILESTONE_STATUS, milestone=mid, version=1, status="DONE")
    assert refusal(other, SET_MILESTONE_STATUS) == ("FORBIDDEN", None)
    assert await snapshot(cast.world) == before

    started = await cast.ok(
        "partner", SET_MILESTONE_STATUS, milestone=mid, version=1, status="IN_PROGRESS"
    )
    assert (started["milestone"]["status"], started["milestone"]["version"]) == ("IN_PROGRESS", 2)
    stale = await cast.run("partner", SET_MILESTONE_STATUS, milestone=mid, version=1, status="DONE")
    assert refusal(stale, SET_MILESTONE_STATUS) == ("CONFLICT", "version")
    done = await cast.ok("partner", SET_MILESTONE_STATUS, milestone=mid, version=2, status="DONE")
    assert done["milestone"]["completedAt"] is not None
    reopened = await cast.ok(
        "owner", SET_MILESTONE_STATUS, milestone=mid, version=3, status="IN_PROGRESS"
    )
    assert reopened["milestone"]["completedAt"] is None

    stale_edit = await cast.run("owner", UPDATE_MILESTONE, milestone=mid, version=3, title="x")
    assert refusal(stale_edit, UPDATE_MILESTONE) == ("CONFLICT", "version")
    updated = await cast.ok(
        "owner",
        UPDATE_MILESTONE,
        milestone=mid,
        version=4,
        title="Data package delivered",
        dueOn="2031-06-30",
        responsibleOrganisation=cast.org("listed"),
    )
    assert updated["milestone"] | {"id": None, "completedAt": None} == {
        "id": None,
        "kind": "DELIVERABLE",
        "title": "Data package delivered",
        "dueOn": "2031-06-30",
        "status": "IN_PROGRESS",
        "overdue": False,
        "completedAt": None,
        "version": 5,
        "responsibleOrganisation": {"slug": "listed"},
    }
    nothing = await cast.run(
        "owner", UPDATE_MILESTONE, milestone=mid, version=5, kind="DELIVERABLE"
    )
    assert refusal(nothing, UPDATE_MILESTONE) == ("BAD_USER_INPUT", "milestone")


async def test_add_milestone_is_idempotent_under_a_key(cast: Cast) -> None:
    plan = await cast.plan()
    input = {
        "plan": plan["id"],
        "title": "Cohort recruited",
        "responsibleOrganisation": cast.org("owner"),
        "dueOn": "2030-01-01",
        "idempotencyKey": "m-1",
    }
    first = await cast.ok("owner", ADD_MILESTONE, **input)
    replay = await cast.ok("owner", ADD_MILESTONE, **input)
    different = await cast.run("owner", ADD_MILESTONE, **(input | {"dueOn": "2030-01-02"}))

    assert replay["milestone"]["id"] == first["milestone"]["id"]
    assert refusal(different, ADD_MILESTONE) == ("CONFLICT", "idempotencyKey")
    async with cast.world.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Milestone)) == 1


async def _milestone_row(
    cast: Cast, plan: dict[str, Any], title: str, due_on: dt.date, status: MilestoneStatus
) -> None:
    """A milestone with any due date (the API accepts past ones too, but this is set-up)."""
    async with cast.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(cast.orgs["owner"].id))
        session.add(
            Milestone(
                id=uuid.uuid4(),
                alliance_id=cast.alliance_id,
                plan_id=raw(plan["id"]),
                kind=MilestoneKind.MILESTONE,
                title=title,
                responsible_organisation_id=cast.orgs["owner"].id,
                due_on=due_on,
                status=status,
            )
        )


async def test_overdue_milestones_at_a_chosen_moment(cast: Cast) -> None:
    plan = await cast.plan()
    hidden = await cast.plan("COMMITTEE")
    day = dt.date(2026, 3, 10)
    for title, due_on, status in (
        ("late", day - dt.timedelta(days=1), MilestoneStatus.PLANNED),
        ("late and started", day - dt.timedelta(days=9), MilestoneStatus.IN_PROGRESS),
        ("due today", day, MilestoneStatus.PLANNED),
        ("done late", day - dt.timedelta(days=3), MilestoneStatus.DONE),
        ("dropped", day - dt.timedelta(days=2), MilestoneStatus.CANCELLED),
        ("next week", day + dt.timedelta(days=7), MilestoneStatus.PLANNED),
    ):
        await _milestone_row(cast, plan, title, due_on, status)
    await _milestone_row(
        cast, hidden, "hidden late", day - dt.timedelta(days=5), MilestoneStatus.PLANNED
    )

    async def titles(role: str, now: dt.datetime, **conditions: Any) -> list[str]:
        async def run(session: Any, principal: Any) -> list[str]:
            query = plans.milestones_query(
                principal, alliance_id=cast.alliance_id, now=now, **conditions
            )
            rows = await session.scalars(query.order_by(Milestone.due_on, Milestone.id))
            return [row.title for row in rows]

        result: list[str] = await cast.as_org(role, run)
        return result

    noon = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
    assert await titles("partner", noon, overdue=True) == ["late and started", "late"]
    assert await titles("seated", noon, overdue=True) == [
        "late and started",
        "hidden late",
        "late",
    ]
    assert await titles("partner", noon, overdue=False) == [
        "done late",
        "dropped",
        "due today",
        "next week",
    ]
    tomorrow = noon + dt.timedelta(days=1)
    assert await titles("partner", tomorrow, overdue=True) == [
        "late and started",
        "late",
        "due today",
    ]
    assert await titles("partner", noon, overdue=True, statuses=[MilestoneStatus.PLANNED]) == [
        "late"
    ]
    assert await titles("outsider", noon, overdue=True) == []


async def test_overdue_milestones_over_the_api(cast: Cast) -> None:
    plan = await cast.plan()
    other = await cast.plan(title="Second plan")
    today = utcnow().date()
    await _milestone_row(
        cast, plan, "yesterday", today - dt.timedelta(days=1), MilestoneStatus.PLANNED
    )
    await _milestone_row(
        cast, other, "last week", today - dt.timedelta(days=7), MilestoneStatus.IN_PROGRESS
    )
    await _milestone_row(cast, plan, "done", today - dt.timedelta(days=3), MilestoneStatus.DONE)
    await _milestone_row(
        cast, plan, "tomorrow", today + dt.timedelta(days=2), MilestoneStatus.PLANNED
    )
    token = cast.tokens["partner"]

    overdue = await gql(
        cast.client, token, MILESTONES, {"alliance": cast.alliance, "filter": {"overdue": True}}
    )
    first_page = await gql(cast.client, token, MILESTONES, {"alliance": cast.alliance, "first": 3})
    cursor = first_page["data"]["milestones"]["pageInfo"]["endCursor"]
    second_page = await gql(
        cast.client, token, MILESTONES, {"alliance": cast.alliance, "first": 3, "after": cursor}
    )
    of_plan = await gql(
        cast.client,
        token,
        MILESTONES,
        {"alliance": cast.alliance, "filter": {"plan": other["id"], "overdue": True}},
    )
    nested = await gql(
        cast.client,
        token,
        """query P($id: ID!) { node(id: $id) { ... on Plan {
             all: milestones { title overdue }
             late: milestones(filter: {overdue: true}) { title }
             done: milestones(filter: {statuses: [DONE]}) { title } } } }""",
        {"id": plan["id"]},
    )

    edges = overdue["data"]["milestones"]["edges"]
    assert [(e["node"]["title"], e["node"]["overdue"]) for e in edges] == [
        ("last week", True),
        ("yesterday", True),
    ]
    assert [e["node"]["title"] for e in first_page["data"]["milestones"]["edges"]] == [
        "last week",
        "done",
        "yesterday",
    ]
    assert first_page["data"]["milestones"]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["title"] for e in second_page["data"]["milestones"]["edges"]] == ["tomorrow"]
    assert [e["node"]["title"] for e in of_plan["data"]["milestones"]["edges"]] == ["last week"]
    node = nested["data"]["node"]
    assert [(m["title"], m["overdue"]) for m in node["all"]] == [
        ("done", False),
        ("yesterday", True),
        ("tomorrow", False),
    ]
    assert node["late"] == [{"title": "yesterday"}]
    assert node["done"] == [{"title": "done"}]


# --- lists ---------------------------------------------------------------------------------


async def test_plans_are_listed_by_title_or_latest_change_with_keyset_cursors(
    cast: Cast,
) -> None:
    titles = ["Delta", "Alpha", "Charlie", "Bravo", "Echo"]
    created = {}
    for title in titles:
        created[title] = await cast.plan(title=title)
    await cast.ok("owner", REVISE, plan=created["Bravo"]["id"], version=1, summary="Touched")
    await cast.ok("owner", PROPOSE, plan=created["Echo"]["id"], version=1)
    token = cast.tokens["partner"]

    async def page(**variables: Any) -> dict[str, Any]:
        body = await gql(cast.client, token, LIST, {"alliance": cast.alliance} | variables)
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]["plans"]
        return result

    def names(result: dict[str, Any]) -> list[str]:
        return [edge["node"]["title"] for edge in result["edges"]]

    first = await page(orderBy="TITLE", first=2)
    rest = await page(orderBy="TITLE", first=10, after=first["pageInfo"]["endCursor"])
    everything = names(first) + names(rest)
    assert everything == ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"] | {"startCursor": None, "endCursor": None} == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }
    back = await page(orderBy="TITLE", last=2, before=rest["pageInfo"]["endCursor"])
    assert names(back) == everything[2:4]
    assert back["pageInfo"]["hasPreviousPage"] is True

    latest = await page(first=2)
    assert names(latest) == ["Echo", "Bravo"]
    more = await page(first=10, after=latest["pageInfo"]["endCursor"])
    assert names(more) == ["Charlie", "Alpha", "Delta"]

    mixed = await gql(
        cast.client,
        token,
        LIST,
        {"alliance": cast.alliance, "orderBy": "TITLE", "after": latest["pageInfo"]["endCursor"]},
    )
    assert mixed["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    assert names(await page(filter={"search": "lph"})) == ["Alpha"]
    assert names(await page(filter={"search": "touched"})) == ["Bravo"]
    assert names(await page(filter={"statuses": ["PROPOSED"]})) == ["Echo"]
    own = await cast.ok("partner", CREATE, alliance=cast.alliance, title="Partner's plan")
    assert names(await page(filter={"ownerOrganisation": cast.org("partner")})) == [
        "Partner's plan"
    ]
    assert own["plan"]["owner"] == {"slug": "partner"}
    assert names(await page(filter={"ownerOrganisation": cast.alliance})) == []
    elsewhere = await page(alliance=gid("Alliance", uuid.uuid4()))
    assert elsewhere["edges"] == []


# --- statements ----------------------------------------------------------------------------


DEEP = """
query Deep($alliance: ID!) {
  plans(alliance: $alliance, first: 50, orderBy: TITLE) {
    edges { node { title status owner { slug }
      versions { number title author { slug } }
      milestones { title overdue responsibleOrganisation { slug } } } }
  }
}
"""


async def test_plans_versions_milestones_organisations_in_constant_statements(
    cast: Cast, engine: AsyncEngine
) -> None:
    token = cast.tokens["listed"]
    first = await cast.plan()
    await cast.milestone(first, responsibleOrganisation=cast.org("listed"))
    await gql(cast.client, token, "{ viewer { scopes } }")  # records the token's first use
    with counting() as small:
        before = await gql(cast.client, token, DEEP, {"alliance": cast.alliance})
    for n in range(4):
        plan = await cast.plan(title=f"Plan {n}", visibility=("ALLIANCE", "ORGANISATIONS")[n % 2])
        await cast.ok("owner", REVISE, plan=plan["id"], version=1, body=f"Revised {n}")
        for responsible in ("owner", "listed"):
            await cast.milestone(plan, responsibleOrganisation=cast.org(responsible))
    await cast.plan("COMMITTEE", title="Not for listed")
    with counting() as large:
        after = await gql(cast.client, token, DEEP, {"alliance": cast.alliance})

    assert "errors" not in after, after
    assert len(before["data"]["plans"]["edges"]) == 1
    edges = after["data"]["plans"]["edges"]
    assert len(edges) == 5
    assert sum(len(edge["node"]["versions"]) for edge in edges) == 9
    assert sum(len(edge["node"]["milestones"]) for edge in edges) == 9
    assert len(large) == len(small), "\n".join(large)
    # the request start (credential, role and tenant), plans with their titles, current
    # versions, owners, all versions, all milestones, their authors and responsibles
    # (organisations are loaded once per level of nesting)
    assert len(small) == 7, "\n".join(small)
