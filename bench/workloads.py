"""The benchmark's workloads: what a partner frontend sends, and the one hand-written SQL
statement per workload that answers the same JSON for the same principal.

Each baseline statement takes the principal's organisation as ``$1`` and applies the
visibility of ``auth.policy`` itself (it runs as the operator, past row-level security):
membership of the alliance, the audience of plans and contributions, the confidentiality
of valuations and minutes. Orders are those of the portal's loaders and lists. Values are
written as the portal serialises them (``bench.sql``), so the statement's text is the
response body.

Each baseline reads what the portal would read along the alliance's index where the
portal reads along a foreign key (a plan's contributions are the alliance's contributions
grouped by plan): the portal's rules keep a plan's contributions in the plan's alliance.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from auth.scopes import Scope
from bench.generate import Manifest
from bench.sql import (
    PRINCIPAL,
    cursor,
    decimal,
    enum,
    global_id,
    in_audience,
    iso_datetime,
    json_list,
)


class BadVariables(ValueError):
    """The variables do not name what the workload's baseline reads."""


def parse_global_id(value: object, type_name: str) -> uuid.UUID | None:
    """The uuid in a global ID of ``type_name``; None for an ID of another type (which
    names nothing the workload reads). ``BadVariables`` when it is no global ID."""
    if not isinstance(value, str):
        raise BadVariables("an ID is a string")
    try:
        found_type, _, object_id = base64.b64decode(value, validate=True).decode().partition(":")
        parsed = uuid.UUID(object_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadVariables("not a valid ID") from None
    return parsed if found_type == type_name else None


@dataclass(frozen=True, slots=True)
class Targets:
    """The objects the workloads read in a generated dataset, found in it by what they
    are (so the workloads do not depend on the generator's numbering)."""

    page_alliance: uuid.UUID
    ledger_alliance: uuid.UUID
    last_alliance: uuid.UUID
    """The outsider's alliance (the member principal's too, in the smoke's small data)."""
    plans: dict[str, uuid.UUID]
    """A plan of each visibility (``alliance``, ``committee``, ``organisations``) and one
    of another alliance (``elsewhere``)."""
    meetings: dict[str, uuid.UUID]
    """The page alliance's held steering meeting (``steering``), held working-group meeting
    (``working_group``) and upcoming steering meeting (``upcoming``)."""


async def find_targets(connection: asyncpg.Connection[Any], manifest: Manifest) -> Targets:
    """The targets of ``manifest``'s dataset, read as the operator."""
    page, ledger = manifest.page_alliance, manifest.ledger_alliance
    plans: dict[str, uuid.UUID] = {}
    for visibility in ("alliance", "committee", "organisations"):
        found = await connection.fetchval(
            """SELECT id FROM public.plans
               WHERE alliance_id = ANY ($1::uuid[]) AND visibility = $2
               ORDER BY alliance_id = $3 DESC, created_at, id LIMIT 1""",
            [page, ledger, manifest.alliance_id(2)],
            visibility,
            page,
        )
        if found is not None:
            plans[visibility] = found
    last = manifest.alliance_id(manifest.shape.alliances - 1)
    plans["elsewhere"] = await connection.fetchval(
        "SELECT id FROM public.plans WHERE alliance_id = $1 ORDER BY created_at, id LIMIT 1",
        last,
    )
    meetings: dict[str, uuid.UUID] = {}
    for name, tier, status in (
        ("steering", "strategic", "held"),
        ("working_group", "operational", "held"),
        ("upcoming", "strategic", "scheduled"),
    ):
        meetings[name] = await connection.fetchval(
            """SELECT m.id FROM public.meetings m
               JOIN public.committees c ON c.id = m.committee_id
               WHERE m.alliance_id = $1 AND c.tier = $2 AND m.status = $3
               ORDER BY m.starts_at, m.id LIMIT 1""",
            page,
            tier,
            status,
        )
    missing = [name for name, found in {**plans, **meetings}.items() if found is None]
    if missing or "alliance" not in plans:
        raise LookupError(f"the dataset lacks targets {missing}: not a bench dataset?")
    return Targets(page, ledger, last, plans, meetings)


def gid(type_name: str, object_id: uuid.UUID) -> str:
    """A global ID as the portal writes it."""
    return base64.b64encode(f"{type_name}:{object_id}".encode()).decode()


Variables = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Workload:
    """One page a frontend loads: the document, its variables, and the baseline."""

    name: str
    operation: str
    """The document's operation name: the baseline server tells workloads apart by it."""
    document: str
    scopes: frozenset[Scope]
    """What the baseline requires of the credential: the read scopes the document uses."""
    sql: str
    """The baseline: ``$1`` the principal's organisation, then ``arguments``' values."""
    arguments: Callable[[Variables], tuple[Any, ...]]
    """The statement's parameters after ``$1``, from the request's variables."""
    variables: Callable[[Targets], Variables]
    """The variables the benchmark runs with."""
    cases: Callable[[Targets], list[Variables]] = field(default=lambda targets: [])
    """More variables the smoke test compares answers for (besides ``variables``)."""
    principal: str = "member"
    """Whom the benchmark runs the workload as (a ``bench.generate`` role)."""

    def all_cases(self, targets: Targets) -> list[Variables]:
        """Every variable set the smoke test compares, the benchmark's first."""
        return [self.variables(targets), *self.cases(targets)]


def _id_variable(type_name: str) -> Callable[[Variables], tuple[Any, ...]]:
    def arguments(variables: Variables) -> tuple[Any, ...]:
        return (parse_global_id(variables.get("id"), type_name),)

    return arguments


# --- one plan by id ---------------------------------------------------------------------

PLAN_BY_ID = Workload(
    name="plan_by_id",
    operation="PlanById",
    document="""query PlanById($id: ID!) {
  node(id: $id) {
    ... on Plan {
      id title summary status visibility version createdAt updatedAt
      owner { id name }
    }
  }
}""",
    scopes=frozenset({Scope.PLANS_READ}),
    sql=f"""WITH {PRINCIPAL}
SELECT json_build_object('data', json_build_object('node', (
    SELECT json_build_object(
        'id', {global_id("Plan", "p.id")}, 'title', v.title, 'summary', v.summary,
        'status', {enum("p.status")}, 'visibility', {enum("p.visibility")},
        'version', p.version, 'createdAt', {iso_datetime("p.created_at")},
        'updatedAt', {iso_datetime("p.updated_at")},
        'owner', json_build_object('id', {global_id("Organisation", "o.id")}, 'name', o.name))
    FROM public.plans p
    JOIN public.plan_versions v ON v.plan_id = p.id AND v.number = p.version
    JOIN public.organisations o ON o.id = p.owner_organisation_id, me
    WHERE p.id = $2 AND {in_audience("p", "p.owner_organisation_id = me.org")})))::text""",  # noqa: S608
    arguments=_id_variable("Plan"),
    variables=lambda t: {"id": gid("Plan", t.plans["alliance"])},
    cases=lambda t: [
        {"id": gid("Plan", plan)} for name, plan in t.plans.items() if name != "alliance"
    ],
)

# --- an alliance, its plans, their contributions and who made them ----------------------

# the alliance is a parameter ($2) or already checked (a.id): see in_audience
_CONTRIBUTION_AUDIENCE = in_audience("c", "c.organisation_id = me.org", alliance="$2::uuid")
_PLAN_AUDIENCE = in_audience("p", "p.owner_organisation_id = me.org", alliance="a.id")

ALLIANCE_PAGE = Workload(
    name="alliance_page",
    operation="AlliancePage",
    document="""query AlliancePage($id: ID!) {
  alliance(id: $id) {
    id name status
    plans {
      id title status
      contributions { id kind quantity unit status organisation { id name } }
    }
  }
}""",
    scopes=frozenset({Scope.ALLIANCES_READ, Scope.PLANS_READ, Scope.CONTRIBUTIONS_READ}),
    sql=f"""WITH {PRINCIPAL},
contributed AS (
    SELECT c.plan_id, json_agg(json_build_object(
               'id', {global_id("Contribution", "c.id")}, 'kind', {enum("c.kind")},
               'quantity', {decimal("c.quantity")}, 'unit', c.unit, 'status', {enum("c.status")},
               'organisation', json_build_object('id', {global_id("Organisation", "o.id")},
                                                 'name', o.name))
           ORDER BY c.created_at, c.id) AS list
    FROM public.contributions c JOIN public.organisations o ON o.id = c.organisation_id, me
    WHERE c.alliance_id = $2 AND c.plan_id IS NOT NULL AND {_CONTRIBUTION_AUDIENCE}
    GROUP BY c.plan_id
)
SELECT json_build_object('data', json_build_object('alliance', (
    SELECT json_build_object(
        'id', {global_id("Alliance", "a.id")}, 'name', a.name, 'status', {enum("a.status")},
        'plans', {
        json_list(f'''
            SELECT json_agg(json_build_object(
                       'id', {global_id("Plan", "p.id")}, 'title', v.title,
                       'status', {enum("p.status")},
                       'contributions', coalesce(contributed.list, '[]'::json))
                   ORDER BY p.updated_at DESC, p.id DESC)
            FROM public.plans p
            JOIN public.plan_versions v ON v.plan_id = p.id AND v.number = p.version
            LEFT JOIN contributed ON contributed.plan_id = p.id
            WHERE p.alliance_id = a.id AND {_PLAN_AUDIENCE}''')
    })
    FROM public.alliances a, me
    WHERE a.id = $2 AND a.id = ANY (me.alliances))))::text""",  # noqa: S608
    arguments=_id_variable("Alliance"),
    variables=lambda t: {"id": gid("Alliance", t.page_alliance)},
    cases=lambda t: [
        {"id": gid("Alliance", t.ledger_alliance)},
        {"id": gid("Alliance", t.last_alliance)},
    ],
)

# --- the newest CASH contributions of an alliance ---------------------------------------

_CASH_CURSOR = cursor("created_desc", iso_datetime("n.created_at"), "n.id::text")


def _cash_arguments(variables: Variables) -> tuple[Any, ...]:
    first = variables.get("first")
    if not isinstance(first, int) or isinstance(first, bool) or not 0 <= first <= 100:
        raise BadVariables("a page holds 0 to 100 items")
    return (parse_global_id(variables.get("id"), "Alliance"), first)


CASH_CONTRIBUTIONS = Workload(
    name="cash_contributions",
    operation="CashContributions",
    document="""query CashContributions($id: ID!, $first: Int!) {
  contributions(alliance: $id, filter: {kinds: [CASH]}, first: $first) {
    edges {
      cursor
      node {
        id kind description quantity unit createdAt
        valuation { amount currency }
        valuationHiddenReason
        organisation { name }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}""",
    scopes=frozenset({Scope.CONTRIBUTIONS_READ}),
    sql=f"""WITH {PRINCIPAL},
page AS (
    SELECT c.id, c.alliance_id, c.organisation_id, c.kind, c.description, c.quantity, c.unit,
           c.created_at
    FROM public.contributions c, me
    WHERE c.alliance_id = $2 AND c.kind = 'cash' AND {_CONTRIBUTION_AUDIENCE}
    ORDER BY c.created_at DESC, c.id DESC
    LIMIT $3 + 1
),
numbered AS (
    SELECT page.*, row_number() OVER (ORDER BY created_at DESC, id DESC) AS rank FROM page
)
SELECT json_build_object('data', json_build_object('contributions', json_build_object(
    'edges', {
        json_list(f'''
        SELECT json_agg(json_build_object(
                   'cursor', {_CASH_CURSOR},
                   'node', json_build_object(
                       'id', {global_id("Contribution", "n.id")}, 'kind', {enum("n.kind")},
                       'description', n.description, 'quantity', {decimal("n.quantity")},
                       'unit', n.unit, 'createdAt', {iso_datetime("n.created_at")},
                       'valuation', CASE WHEN v.contribution_id IS NOT NULL THEN
                           json_build_object('amount', {decimal("v.amount")},
                                             'currency', v.currency) END,
                       'valuationHiddenReason', CASE
                           WHEN v.contribution_id IS NOT NULL THEN NULL
                           WHEN n.organisation_id = me.org
                                OR n.alliance_id = ANY (me.steering) THEN 'NOT_VALUED'
                           ELSE 'CONFIDENTIAL' END,
                       'organisation', json_build_object('name', o.name)))
               ORDER BY n.rank)
        FROM numbered n JOIN public.organisations o ON o.id = n.organisation_id
        CROSS JOIN me
        LEFT JOIN public.contribution_valuations v ON v.contribution_id = n.id
             AND (v.organisation_id = me.org OR v.alliance_id = ANY (me.steering))
        WHERE n.rank <= $3''')
    },
    'pageInfo', json_build_object(
        'hasNextPage', (SELECT count(*) FROM page) > $3,
        'endCursor', (SELECT {_CASH_CURSOR} FROM numbered n
                      WHERE n.rank = least($3, (SELECT count(*) FROM page)))))))::text""",  # noqa: S608
    arguments=_cash_arguments,
    variables=lambda t: {"id": gid("Alliance", t.ledger_alliance), "first": 100},
    cases=lambda t: [
        {"id": gid("Alliance", t.ledger_alliance), "first": 3},
        {"id": gid("Alliance", t.page_alliance), "first": 100},
    ],
    principal="steering",
)

# --- a meeting with its agenda, minutes and decisions -----------------------------------

_MINUTES_AUDIENCE = in_audience("mi")
_VOTES = json_list(f"""
    SELECT json_agg(json_build_object(
               'choice', {enum("vo.choice")}, 'castAt', {iso_datetime("vo.cast_at")},
               'organisation', json_build_object('name', vorg.name))
           ORDER BY vo.cast_at, vo.id)
    FROM public.votes vo JOIN public.organisations vorg ON vorg.id = vo.organisation_id
    WHERE vo.decision_id = d.id""")  # noqa: S608

MEETING_PAGE = Workload(
    name="meeting_page",
    operation="MeetingPage",
    document="""query MeetingPage($id: ID!) {
  node(id: $id) {
    ... on Meeting {
      id title kind status startsAt endsAt location agendaDeadline
      committee { id name tier }
      agendaItems { id position title kind description }
      minutes { id status version visibility circulatedAt approvedAt body }
      decisions {
        id text procedure status outcome quorumMet votesFor votesAgainst votesAbstain closedAt
        votes { choice castAt organisation { name } }
      }
    }
  }
}""",
    scopes=frozenset({Scope.GOVERNANCE_READ}),
    sql=f"""WITH {PRINCIPAL}
SELECT json_build_object('data', json_build_object('node', (
    SELECT json_build_object(
        'id', {global_id("Meeting", "m.id")}, 'title', m.title, 'kind', {enum("m.kind")},
        'status', {enum("m.status")}, 'startsAt', {iso_datetime("m.starts_at")},
        'endsAt', {iso_datetime("m.ends_at")}, 'location', m.location,
        'agendaDeadline', {iso_datetime("m.agenda_deadline")},
        'committee', json_build_object('id', {global_id("Committee", "c.id")}, 'name', c.name,
                                       'tier', {enum("c.tier")}),
        'agendaItems', {
        json_list(f'''
            SELECT json_agg(json_build_object(
                       'id', {global_id("AgendaItem", "i.id")}, 'position', i.position,
                       'title', i.title, 'kind', {enum("i.kind")},
                       'description', i.description)
                   ORDER BY i.position)
            FROM public.agenda_items i WHERE i.meeting_id = m.id''')
    },
        'minutes', (
            SELECT json_build_object(
                'id', {global_id("Minutes", "mi.id")}, 'status', {enum("mi.status")},
                'version', mi.version, 'visibility', {enum("mi.visibility")},
                'circulatedAt', {iso_datetime("mi.circulated_at")},
                'approvedAt', {iso_datetime("mi.approved_at")}, 'body', mv.body)
            FROM public.minutes mi
            JOIN public.minutes_versions mv ON mv.minutes_id = mi.id AND mv.version = mi.version
            WHERE mi.meeting_id = m.id AND {_MINUTES_AUDIENCE}),
        'decisions', {
        json_list(f'''
            SELECT json_agg(json_build_object(
                       'id', {global_id("Decision", "d.id")}, 'text', d.text,
                       'procedure', {enum("d.procedure")}, 'status', {enum("d.status")},
                       'outcome', {enum("d.outcome")}, 'quorumMet', d.quorum_met,
                       'votesFor', d.votes_for, 'votesAgainst', d.votes_against,
                       'votesAbstain', d.votes_abstain,
                       'closedAt', {iso_datetime("d.closed_at")},
                       'votes', {_VOTES})
                   ORDER BY d.created_at, d.id)
            FROM public.decisions d
            WHERE d.alliance_id = m.alliance_id AND d.meeting_id = m.id''')
    })
    FROM public.meetings m JOIN public.committees c ON c.id = m.committee_id, me
    WHERE m.id = $2 AND m.alliance_id = ANY (me.alliances))))::text""",  # noqa: S608
    arguments=_id_variable("Meeting"),
    variables=lambda t: {"id": gid("Meeting", t.meetings["steering"])},
    cases=lambda t: [
        {"id": gid("Meeting", t.meetings["working_group"])},
        {"id": gid("Meeting", t.meetings["upcoming"])},
    ],
    principal="steering",
)

# --- an organisation's dashboard across its alliances -----------------------------------

_ALLIANCE_PLANS = json_list(f"""
    SELECT json_agg(json_build_object(
               'id', {global_id("Plan", "p.id")}, 'title', v.title, 'status', {enum("p.status")})
           ORDER BY p.updated_at DESC, p.id DESC)
    FROM public.plans p JOIN public.plan_versions v ON v.plan_id = p.id AND v.number = p.version
    WHERE p.alliance_id = a.id AND {_PLAN_AUDIENCE}""")  # noqa: S608

DASHBOARD = Workload(
    name="dashboard",
    operation="Dashboard",
    document="""query Dashboard {
  viewer { organisation { name } }
  alliances(first: 20) {
    edges { node { id name status plans { id title status } } }
  }
}""",
    scopes=frozenset({Scope.ALLIANCES_READ, Scope.PLANS_READ}),
    sql=f"""WITH {PRINCIPAL},
listed AS (
    SELECT a.id, a.name, a.status
    FROM public.alliances a, me
    WHERE a.id = ANY (me.alliances)
    ORDER BY a.name, a.id
    LIMIT 20
)
SELECT json_build_object('data', json_build_object(
    'viewer', json_build_object('organisation', (
        SELECT json_build_object('name', o.name) FROM public.organisations o
        WHERE o.id = $1::uuid)),
    'alliances', json_build_object('edges', {
        json_list(f'''
        SELECT json_agg(json_build_object('node', json_build_object(
                   'id', {global_id("Alliance", "a.id")}, 'name', a.name,
                   'status', {enum("a.status")},
                   'plans', {_ALLIANCE_PLANS}))
               ORDER BY a.name, a.id)
        FROM listed a, me''')
    })))::text""",  # noqa: S608
    arguments=lambda variables: (),
    variables=lambda t: {},
)

WORKLOADS: Mapping[str, Workload] = {
    w.name: w for w in (PLAN_BY_ID, ALLIANCE_PAGE, CASH_CONTRIBUTIONS, MEETING_PAGE, DASHBOARD)
}
BY_OPERATION: Mapping[str, Workload] = {w.operation: w for w in WORKLOADS.values()}


def request_body(workload: Workload, variables: Variables) -> dict[str, Any]:
    """The GraphQL-over-HTTP request body of one workload."""
    return {"query": workload.document, "operationName": workload.operation, "variables": variables}
