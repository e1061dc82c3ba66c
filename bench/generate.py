"""The benchmark's dataset: deterministic, loaded through SQL as the operator.

Every id is ``md5("<seed>:<kind>:<key>")`` read as a uuid and every choice a hash of the
seed and the row's number, so one seed always gives the same rows (``ident`` computes the
same ids in Python). Timestamps count from ``EPOCH``, not from the clock; only the API
tokens' ``created_at``/``expires_at`` follow the clock, since a token lives at most a year.

The rows look like what the portal itself writes (``portal.alliances``, ``portal.plans``,
``portal.contributions``, ``portal.meetings``, ``portal.minutes``, ``portal.decisions``,
``portal.action_items``): active alliances with their lead, governance rules and a steering
committee chaired by the lead; plans with a version row per revision, approved only through
a closed steering-committee decision on the approved version; contributions with a PLEDGED
step and one step per later status, their valuation stored apart, ORGANISATIONS audiences
as visibility grants that always name the owner or contributor. The event outbox and the
audit trail are not written: they record who changed what, and nobody did.

Shape at scale 1 (issue 10): 200 organisations, 20 alliances of 10 current members, 2,000
plans, 20,000 contributions (10 per plan). The *page alliance* (alliance 0) has 20 plans,
so its page (plans, their contributions and contributors) holds about 1,300 values, like
the issue's second page; the other 1,980 plans are spread over the other alliances, so the
*ledger alliance* (alliance 1) has about a thousand contributions to page through.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from auth.api_tokens import derived_token, hash_token
from auth.scopes import Scope

EPOCH = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
"""Time zero of the data: plans and contributions before it, upcoming meetings after it."""
DEFAULT_SEED = 10
MEMBERS = 10
"""Current member organisations per alliance (positions 0-9; position 0 leads)."""
CONTRIBUTIONS_PER_PLAN = 10
READ_SCOPES: frozenset[Scope] = frozenset(s for s in Scope if s.value.endswith(":read"))
TOKEN_SECRET = "bench-token-hashing-secret-not-for-production-0123456789"  # noqa: S105
"""The secret the benchmark's servers hash tokens with (``PORTAL_TOKEN_SECRET``)."""
ISSUER = "https://idp.bench.alliance-portal.example"


@dataclass(frozen=True, slots=True)
class Shape:
    """How much data: ``for_scale(1)`` is the issue's shape, ``for_scale(0.01)`` the smoke
    test's (three alliances, a dozen plans)."""

    alliances: int
    plans: int
    page_alliance_plans: int

    @classmethod
    def for_scale(cls, scale: float) -> Shape:
        if scale <= 0:
            raise ValueError("the scale is a positive number")
        alliances = max(3, round(20 * scale))
        return cls(
            alliances=alliances,
            plans=alliances * max(4, round(100 * scale)),
            page_alliance_plans=max(4, round(20 * scale)),
        )

    @property
    def organisations(self) -> int:
        return self.alliances * MEMBERS

    @property
    def contributions(self) -> int:
        return self.plans * CONTRIBUTIONS_PER_PLAN


@dataclass(frozen=True, slots=True)
class Role:
    """A benchmark principal: an organisation with an API token holding every read scope."""

    name: str
    organisation: int
    """Its organisation's number."""
    description: str


MEMBER = Role(
    "member",
    1,
    "an ordinary member: a partner of alliances 0, 1 and 2, seated on committees but not "
    "on any steering committee (valuations of others are CONFIDENTIAL to it)",
)
STEERING = Role(
    "steering",
    2,
    "a member of alliances 0 and 1 holding a seat on both steering committees (it sees "
    "every valuation there)",
)
OUTSIDER = Role(
    "outsider",
    -1,
    "a member of the last alliance only: to it the benchmark alliances do not exist",
)
ROLES = (MEMBER, STEERING, OUTSIDER)


@dataclass(frozen=True, slots=True)
class Principal:
    """A benchmark principal as the runner uses it."""

    role: Role
    organisation_id: uuid.UUID
    token: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a generated dataset holds for the workloads: everything follows from the seed
    and the shape, so it is computed again rather than stored."""

    seed: int
    shape: Shape
    principals: dict[str, Principal]

    def alliance_id(self, number: int) -> uuid.UUID:
        return ident(self.seed, "alliance", number)

    @property
    def page_alliance(self) -> uuid.UUID:
        """The alliance whose page is benchmarked (20 plans at scale 1)."""
        return self.alliance_id(0)

    @property
    def ledger_alliance(self) -> uuid.UUID:
        """The alliance whose contributions list is benchmarked (~1,000 contributions)."""
        return self.alliance_id(1)


def ident(seed: int, kind: str, key: object) -> uuid.UUID:
    """The id the generator gives row ``key`` of ``kind`` (the SQL of ``_id``)."""
    digest = hashlib.md5(f"{seed}:{kind}:{key}".encode(), usedforsecurity=False)
    return uuid.UUID(digest.hexdigest())


def organisation_number(role: Role, shape: Shape) -> int:
    """The organisation a role is: the outsider is position 7 of the last alliance."""
    if role.organisation >= 0:
        return role.organisation
    return (shape.alliances - 1) * MEMBERS + 7


def bench_token(seed: int, role: Role) -> str:
    """The role's API token, derived from the seed (the benchmark's database is private and
    thrown away): the format of ``auth.api_tokens``, checksum included."""
    return derived_token(hashlib.sha256(f"{seed}:token:{role.name}".encode()).digest())


def manifest(seed: int, shape: Shape) -> Manifest:
    """The principals and targets of the dataset ``generate`` makes from ``seed``."""
    principals = {
        role.name: Principal(
            role,
            ident(seed, "organisation", organisation_number(role, shape)),
            bench_token(seed, role),
        )
        for role in ROLES
    }
    return Manifest(seed, shape, principals)


class _Sql:
    """The generator's SQL vocabulary for one seed: ids and choices as SQL expressions."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)  # an int: it is written into the statements as a literal

    def id(self, kind: str, key: str) -> str:
        """The SQL of ``ident(seed, kind, key)``; ``key`` is an SQL expression."""
        return f"md5('{self.seed}:{kind}:' || ({key}))::uuid"

    def choice(self, kind: str, key: str, modulus: int) -> str:
        """A number in ``[0, modulus)`` chosen by hashing the seed, ``kind`` and ``key``."""
        digest = f"md5('{self.seed}:choice:{kind}:' || ({key}))"
        return f"((('x' || substr({digest}, 1, 7))::bit(28)::int) % {modulus})"


def _micros(number: str) -> str:
    """Microseconds to add to a timestamp: varied, and zero for every fifth row (the
    portal then writes no fraction)."""
    return f"(CASE WHEN ({number}) % 5 = 0 THEN 0 ELSE (({number}) * 7919) % 1000000 END)"


def _statements(sql: _Sql, shape: Shape) -> list[str]:
    """The statements that load the dataset, in foreign-key order. Each is an INSERT ...
    SELECT over ``generate_series`` or over the temporary tables of the first ones."""
    a_count, p_count, p0 = shape.alliances, shape.plans, shape.page_alliance_plans
    epoch = f"timestamptz '{EPOCH.isoformat()}'"
    org = sql.id("organisation", "o.n")
    seat_key = "m.alliance || ':' || s.committee || ':' || s.position"
    meeting_key = "m.alliance || ':' || t.committee || ':' || t.number"
    return [
        # -- who is where: positions of members, committees, seats, meetings ---------------
        """CREATE TEMP TABLE bench_member (
               alliance int, position int, organisation int, alliance_id uuid,
               organisation_id uuid, admin_id uuid, PRIMARY KEY (alliance, position)
           ) ON COMMIT DROP""",
        # Position p of alliance a is organisation 10a + p, except that the member
        # principal (1) is also position 9 of alliances 1 and 2, and the steering principal
        # (2) position 8 of alliance 1: benchmark principals belong to several alliances.
        f"""INSERT INTO bench_member
            SELECT a, p, o, {sql.id("alliance", "a")}, {sql.id("organisation", "o")},
                   {sql.id("user", "o || ':admin'")}
            FROM generate_series(0, {a_count - 1}) a, generate_series(0, {MEMBERS - 1}) p,
                 LATERAL (SELECT CASE WHEN a IN (1, 2) AND p = 9 THEN 1
                                      WHEN a = 1 AND p = 8 THEN 2
                                      ELSE a * {MEMBERS} + p END AS o) chosen""",  # noqa: S608
        """CREATE TEMP TABLE bench_committee (
               number int PRIMARY KEY, tier text, name text, mandate text, parent int
           ) ON COMMIT DROP""",
        """INSERT INTO bench_committee VALUES
           (0, 'strategic', 'Steering Committee',
            'Oversees the research plans, governs the collaboration and ensures compliance.',
            NULL),
           (1, 'tactical', 'Programme Board',
            'Coordinates the work packages and escalates what they cannot settle.', 0),
           (2, 'operational', 'Assay Working Group',
            'Runs the assays, shares protocols and reports results monthly.', 1)""",
        """CREATE TEMP TABLE bench_seat (
               committee int, position int, role text, voting boolean, seat_order int,
               PRIMARY KEY (committee, position)
           ) ON COMMIT DROP""",
        # The lead chairs the steering committee (as portal.alliances founds it); the
        # steering principal is its secretary in alliance 0 (position 2) and a member in
        # alliance 1 (position 8); the member principal (positions 1 and 9) never sits on it.
        """INSERT INTO bench_seat VALUES
           (0, 0, 'chair', true, 0), (0, 2, 'secretary', true, 1), (0, 3, 'member', true, 2),
           (0, 4, 'member', true, 3), (0, 8, 'member', true, 4), (0, 5, 'observer', false, 5),
           (1, 3, 'chair', true, 0), (1, 1, 'secretary', true, 1), (1, 0, 'member', true, 2),
           (1, 4, 'member', true, 3), (1, 5, 'member', true, 4), (1, 6, 'member', true, 5),
           (2, 6, 'chair', true, 0), (2, 7, 'secretary', true, 1), (2, 1, 'member', true, 2),
           (2, 8, 'member', true, 3), (2, 9, 'member', true, 4)""",
        """CREATE TEMP TABLE bench_meeting (
               committee int, number int, day_offset int, held boolean,
               PRIMARY KEY (committee, number)
           ) ON COMMIT DROP""",
        # Held meetings before the epoch (minutes approved, decisions closed, action items);
        # upcoming ones a year after it (open decisions being voted on).
        """INSERT INTO bench_meeting VALUES
           (0, 0, -60, true), (0, 1, -30, true), (0, 2, 400, false), (0, 3, 430, false),
           (1, 0, -45, true), (1, 1, 410, false), (2, 0, -20, true), (2, 1, 420, false)""",
        # -- organisations and their people -------------------------------------------------
        f"""INSERT INTO public.organisations (id, slug, name, kind, country, created_at)
            SELECT {org}, 'org-' || lpad(o.n::text, 3, '0'),
                   (ARRAY['Helix', 'Nordic', 'Aurora', 'Lumen', 'Orbis', 'Cedar', 'Vireo',
                          'Meridian', 'Solace', 'Quanta'])[o.n % 10 + 1] || ' '
                   || (ARRAY['Pharmaceuticals', 'Biotech', 'University', 'University Hospital',
                             'Research', 'Foundation', 'Therapeutics'])[o.n % 7 + 1]
                   || ' ' || o.n,
                   (ARRAY['pharma', 'biotech', 'academic', 'hospital', 'cro', 'foundation',
                          'biotech'])[o.n % 7 + 1],
                   (ARRAY['CH', 'DK', 'NL', 'GB', 'DE', 'US', 'FR', 'SE', 'BE', 'IT'])
                       [o.n % 10 + 1],
                   {epoch} - interval '500 days' + o.n * interval '1 minute'
            FROM generate_series(0, {shape.organisations - 1}) AS o(n)""",  # noqa: S608
        f"""INSERT INTO public.users (id, organisation_id, email, display_name, role, status,
                                      issuer, subject, signed_in_at, created_at)
            SELECT {sql.id("user", "o.n || ':' || r.role")}, {org},
                   r.role || '@org-' || lpad(o.n::text, 3, '0') || '.bench.example',
                   initcap(r.role) || ' of organisation ' || o.n, r.role, 'active',
                   '{ISSUER}', 'org-' || lpad(o.n::text, 3, '0') || ':' || r.role,
                   {epoch} - interval '10 days', {epoch} - interval '499 days'
            FROM generate_series(0, {shape.organisations - 1}) AS o(n),
                 unnest(ARRAY['admin', 'member', 'viewer']) AS r(role)""",  # noqa: S608
        # -- alliances, membership, governance ---------------------------------------------
        f"""INSERT INTO public.alliances (id, name, purpose, strategy, vision, status,
                                          starts_on, ends_on, created_by_organisation_id,
                                          version, created_at, updated_at)
            SELECT m.alliance_id,
                   (ARRAY['Oncology Biomarker', 'Rare Disease Data', 'Antimicrobial Resistance',
                          'Neurodegeneration Imaging', 'Cardiometabolic Genomics'])
                       [a.n % 5 + 1] || ' Alliance ' || lpad(a.n::text, 2, '0'),
                   'Pool cohorts, assays and know-how on question ' || a.n || '.',
                   'Validate every finding in two independent cohorts.',
                   'Patients get the treatment most likely to work for them.',
                   'active', ({epoch} - interval '270 days')::date,
                   ({epoch} + interval '1190 days')::date, m.organisation_id, 2,
                   {epoch} - interval '300 days' + a.n * interval '1 hour',
                   {epoch} - interval '299 days' + a.n * interval '1 hour'
            FROM generate_series(0, {a_count - 1}) AS a(n)
            JOIN bench_member m ON m.alliance = a.n AND m.position = 0""",  # noqa: S608
        f"""INSERT INTO public.memberships (id, alliance_id, organisation_id, role, commitment,
                                            joined_at)
            SELECT {sql.id("membership", "m.alliance || ':' || m.position")}, m.alliance_id,
                   m.organisation_id,
                   CASE WHEN m.position = 0 THEN 'lead' WHEN m.position IN (6, 7) THEN 'associate'
                        WHEN m.position = 9 THEN 'observer' ELSE 'partner' END,
                   'Brings ' || (1 + m.position % 3) || ' FTE and its cohort data.',
                   {epoch} - interval '300 days' + m.alliance * interval '1 hour'
                       + m.position * interval '1 minute'
            FROM bench_member m""",  # noqa: S608
        f"""INSERT INTO public.governance_rules (alliance_id)
            SELECT {sql.id("alliance", "a")} FROM generate_series(0, {a_count - 1}) a""",  # noqa: S608
        f"""INSERT INTO public.committees (id, alliance_id, parent_id, name, tier, mandate,
                                           created_at)
            SELECT {sql.id("committee", "a || ':' || c.number")}, {sql.id("alliance", "a")},
                   CASE WHEN c.parent IS NOT NULL
                        THEN {sql.id("committee", "a || ':' || c.parent")} END,
                   c.name, c.tier, c.mandate,
                   {epoch} - interval '300 days' + a * interval '1 hour'
                       + c.number * interval '1 minute'
            FROM generate_series(0, {a_count - 1}) a, bench_committee c
            ORDER BY c.number""",  # noqa: S608
        f"""INSERT INTO public.seats (id, alliance_id, committee_id, organisation_id, role,
                                      voting, created_at)
            SELECT {sql.id("seat", seat_key)},
                   m.alliance_id, {sql.id("committee", "m.alliance || ':' || s.committee")},
                   m.organisation_id, s.role, s.voting,
                   {epoch} - interval '299 days' + m.alliance * interval '1 hour'
                       + (s.committee * 10 + s.seat_order) * interval '1 minute'
            FROM bench_seat s JOIN bench_member m ON m.position = s.position""",  # noqa: S608
        f"""INSERT INTO public.seat_representatives (id, alliance_id, seat_id, user_id,
                                                     created_at)
            SELECT {sql.id("representative", seat_key)},
                   m.alliance_id,
                   {sql.id("seat", seat_key)},
                   m.admin_id, {epoch} - interval '298 days'
            FROM bench_seat s JOIN bench_member m ON m.position = s.position""",  # noqa: S608
        # -- meetings: agenda, attendance, minutes, decisions, votes, action items ----------
        f"""INSERT INTO public.meetings (id, alliance_id, committee_id, title, kind, starts_at,
                                         ends_at, location, status, agenda_deadline, version,
                                         created_at)
            SELECT {sql.id("meeting", "a || ':' || t.committee || ':' || t.number")},
                   {sql.id("alliance", "a")}, {sql.id("committee", "a || ':' || t.committee")},
                   c.name || ' meeting ' || (t.number + 1),
                   CASE WHEN t.number = 3 THEN 'extraordinary' ELSE 'ordinary' END,
                   starts, starts + interval '2 hours',
                   CASE WHEN t.committee = 0 THEN 'Basel, Room 4' ELSE 'Video call' END,
                   CASE WHEN t.held THEN 'held' ELSE 'scheduled' END,
                   starts - interval '3 days', CASE WHEN t.held THEN 2 ELSE 1 END,
                   CASE WHEN t.held THEN starts - interval '40 days'
                        ELSE {epoch} + interval '30 days' + a * interval '1 minute' END
            FROM generate_series(0, {a_count - 1}) a, bench_meeting t
            JOIN bench_committee c ON c.number = t.committee,
                 LATERAL (SELECT {epoch} + t.day_offset * interval '1 day' + interval '9 hours'
                                 + a * interval '1 minute' AS starts) s""",  # noqa: S608
        f"""INSERT INTO public.agenda_items (id, alliance_id, meeting_id, position, title, kind,
                                             description, created_at)
            SELECT {sql.id("agenda", "a || ':' || t.committee || ':' || t.number || ':' || i")},
                   {sql.id("alliance", "a")},
                   {sql.id("meeting", "a || ':' || t.committee || ':' || t.number")}, i,
                   (ARRAY['Minutes of the last meeting', 'Progress of the work packages',
                          'Budget reallocation', 'Approval of the data-sharing protocol',
                          'Any other business'])[i],
                   (ARRAY['information', 'discussion', 'decision', 'decision',
                          'information'])[i],
                   'Papers for item ' || i || ' are in the shared folder.',
                   CASE WHEN t.held THEN {epoch} + (t.day_offset - 39) * interval '1 day'
                        ELSE {epoch} + interval '31 days' END
                       + a * interval '1 minute' + i * interval '1 second'
            FROM generate_series(0, {a_count - 1}) a, bench_meeting t,
                 generate_series(1, 5) i""",  # noqa: S608
        f"""INSERT INTO public.attendances (id, alliance_id, meeting_id, seat_id,
                                            organisation_id, present, recorded_at)
            SELECT {sql.id("attendance", meeting_key + " || ':' || s.position")},
                   m.alliance_id,
                   {sql.id("meeting", meeting_key)},
                   {sql.id("seat", seat_key)},
                   m.organisation_id, s.position <> 9,
                   {epoch} + t.day_offset * interval '1 day' + interval '9 hours 10 minutes'
                       + s.seat_order * interval '1 second'
            FROM bench_meeting t JOIN bench_seat s ON s.committee = t.committee
            JOIN bench_member m ON m.position = s.position
            WHERE t.held""",  # noqa: S608
        # Minutes of held meetings, approved by the chair after circulation. The steering
        # committee's and the programme board's are for their seat holders (the default),
        # the working group's for the whole alliance.
        f"""INSERT INTO public.minutes (id, alliance_id, meeting_id, committee_id, status,
                                        version, visibility, visibility_committee_id,
                                        circulated_at, objection_deadline, approved_at,
                                        created_at)
            SELECT {sql.id("minutes", "a || ':' || t.committee || ':' || t.number")},
                   {sql.id("alliance", "a")},
                   {sql.id("meeting", "a || ':' || t.committee || ':' || t.number")},
                   {sql.id("committee", "a || ':' || t.committee")}, 'approved', 2,
                   CASE WHEN t.committee = 2 THEN 'alliance' ELSE 'committee' END,
                   CASE WHEN t.committee <> 2
                        THEN {sql.id("committee", "a || ':' || t.committee")} END,
                   starts + interval '1 day', starts + interval '16 days',
                   starts + interval '4 days', starts + interval '3 hours'
            FROM generate_series(0, {a_count - 1}) a, bench_meeting t,
                 LATERAL (SELECT {epoch} + t.day_offset * interval '1 day' + interval '9 hours'
                                 + a * interval '1 minute' AS starts) s
            WHERE t.held""",  # noqa: S608
        f"""INSERT INTO public.minutes_versions (id, alliance_id, minutes_id, version, body,
                                                 organisation_id, user_id, created_at)
            SELECT {sql.id("minutes-version", meeting_key + " || ':' || v")},
                   m.alliance_id,
                   {sql.id("minutes", meeting_key)}, v,
                   'Present: the members listed. Item 1: the minutes were approved. Item 2: the '
                   || 'work packages are on track' || CASE WHEN v = 2 THEN ', except WP3' ELSE ''
                   END || '. Item 3: the budget moves 5% from travel to assays.',
                   m.organisation_id, m.admin_id,
                   {epoch} + t.day_offset * interval '1 day' + interval '9 hours'
                       + m.alliance * interval '1 minute' + v * interval '3 hours'
            FROM bench_meeting t JOIN bench_seat s ON s.committee = t.committee
                 AND s.role = 'secretary'
            JOIN bench_member m ON m.position = s.position, generate_series(1, 2) v
            WHERE t.held""",  # noqa: S608
        f"""INSERT INTO public.signatures (id, alliance_id, minutes_id, version, meaning,
                                           organisation_id, user_id, credential_kind, reason,
                                           signed_at)
            SELECT {sql.id("signature", meeting_key + " || ':' || s.role")},
                   m.alliance_id,
                   {sql.id("minutes", meeting_key)}, 2,
                   CASE s.role WHEN 'secretary' THEN 'circulated' ELSE 'approved' END,
                   m.organisation_id, m.admin_id, 'operator', '',
                   {epoch} + t.day_offset * interval '1 day' + interval '9 hours'
                       + m.alliance * interval '1 minute'
                       + CASE s.role WHEN 'secretary' THEN interval '1 day'
                              ELSE interval '4 days' END
            FROM bench_meeting t JOIN bench_seat s ON s.committee = t.committee
                 AND s.role IN ('secretary', 'chair')
            JOIN bench_member m ON m.position = s.position
            WHERE t.held""",  # noqa: S608
        """CREATE TEMP TABLE bench_decision (
               key text PRIMARY KEY, alliance int, committee int, meeting text,
               procedure text, text text, status text, outcome text, created_at timestamptz,
               closes_at timestamptz, closed_at timestamptz, subject_id uuid, voters int,
               against int, abstain int
           ) ON COMMIT DROP""",
        # Two decisions closed in each held meeting (one approved, one rejected), one open
        # in each upcoming meeting, and one open written procedure of the steering
        # committee per alliance: votes are cast by the first ``voters`` voting seats.
        f"""INSERT INTO bench_decision
            SELECT a || ':' || t.committee || ':' || t.number || ':' || d, a, t.committee,
                   a || ':' || t.committee || ':' || t.number, 'meeting',
                   (ARRAY['Approve the data-sharing protocol.', 'Reallocate 5% of the budget.'])
                       [d + 1],
                   CASE WHEN t.held THEN 'closed' ELSE 'open' END,
                   CASE WHEN NOT t.held THEN NULL WHEN d = 0 THEN 'approved' ELSE 'rejected'
                   END,
                   CASE WHEN t.held
                        THEN starts + interval '30 minutes' + d * interval '20 minutes'
                        ELSE {epoch} + interval '32 days' + a * interval '1 minute' END,
                   NULL::timestamptz,
                   CASE WHEN t.held THEN starts + interval '1 hour' + d * interval '20 minutes'
                   END,
                   NULL::uuid,
                   CASE WHEN t.held THEN 5 ELSE 2 END,
                   CASE WHEN t.held AND d = 1 THEN 3 ELSE 0 END,
                   CASE WHEN t.held AND d = 0 THEN 1 ELSE 0 END
            FROM generate_series(0, {a_count - 1}) a, bench_meeting t,
                 LATERAL (SELECT {epoch} + t.day_offset * interval '1 day' + interval '9 hours'
                                 + a * interval '1 minute' AS starts) s,
                 generate_series(0, 1) d
            WHERE t.held OR d = 0
            UNION ALL
            SELECT a || ':written', a, 0, NULL, 'written',
                   'Extend the alliance by two years.', 'open', NULL,
                   {epoch} - interval '5 days' + a * interval '1 minute',
                   {epoch} + interval '500 days', NULL, NULL, 3, 1, 0
            FROM generate_series(0, {a_count - 1}) a""",  # noqa: S608
        # -- plans ----------------------------------------------------------------------
        """CREATE TEMP TABLE bench_plan (
               n int PRIMARY KEY, alliance int, local int, owner int, id uuid,
               created_at timestamptz, version int, status text, visibility text
           ) ON COMMIT DROP""",
        # Plan n: the page alliance's first plans, then round-robin over the others. Its
        # version 2 exists for every fourth plan; a tenth are for the programme board's
        # seat holders, a tenth for listed organisations.
        f"""INSERT INTO bench_plan
            SELECT n, placed.alliance, placed.local, (placed.local + placed.alliance) % 10,
                   {sql.id("plan", "n")},
                   {epoch} - ({p_count} - n) * interval '2 hours'
                       - {_micros("n")} * interval '1 microsecond',
                   CASE WHEN n % 4 = 3 THEN 2 ELSE 1 END,
                   (ARRAY['draft', 'draft', 'draft', 'proposed', 'proposed', 'approved',
                          'approved', 'active', 'active', 'completed'])[n % 10 + 1],
                   CASE n % 10 WHEN 7 THEN 'committee' WHEN 3 THEN 'organisations'
                        ELSE 'alliance' END
            FROM generate_series(0, {p_count - 1}) n,
                 LATERAL (SELECT CASE WHEN n < {p0} THEN 0
                                      ELSE 1 + (n - {p0}) % {a_count - 1} END AS alliance,
                                 CASE WHEN n < {p0} THEN n
                                      ELSE (n - {p0}) / {a_count - 1} END AS local) placed""",  # noqa: S608
        # A plan is approved by its steering committee's written decision about the version
        # then current, every voting seat for.
        f"""INSERT INTO bench_decision
            SELECT 'plan:' || p.n, p.alliance, 0, NULL, 'written',
                   'Approve version ' || p.version || ' of the plan.', 'closed', 'approved',
                   p.created_at + interval '3 days', p.created_at + interval '10 days',
                   p.created_at + interval '4 days',
                   {sql.id("plan-version", "p.n || ':' || p.version")}, 5, 0, 0
            FROM bench_plan p WHERE p.status IN ('approved', 'active', 'completed')""",  # noqa: S608
        f"""INSERT INTO public.decisions (id, alliance_id, committee_id, meeting_id, procedure,
                                          text, status, outcome, quorum_met, votes_for,
                                          votes_against, votes_abstain, subject_type,
                                          subject_id, closes_at, closed_at, created_at)
            SELECT {sql.id("decision", "d.key")}, {sql.id("alliance", "d.alliance")},
                   {sql.id("committee", "d.alliance || ':' || d.committee")},
                   CASE WHEN d.meeting IS NOT NULL THEN {sql.id("meeting", "d.meeting")} END,
                   d.procedure, d.text, d.status, d.outcome,
                   CASE WHEN d.status = 'closed' THEN true END,
                   d.voters - d.against - d.abstain, d.against, d.abstain,
                   CASE WHEN d.subject_id IS NOT NULL THEN 'PlanVersion' END, d.subject_id,
                   d.closes_at, d.closed_at, d.created_at
            FROM bench_decision d""",  # noqa: S608
        f"""INSERT INTO public.votes (id, alliance_id, decision_id, seat_id, organisation_id,
                                      choice, user_id, cast_at)
            SELECT {sql.id("vote", "d.key || ':' || s.position")}, m.alliance_id,
                   {sql.id("decision", "d.key")},
                   {sql.id("seat", "d.alliance || ':' || d.committee || ':' || s.position")},
                   m.organisation_id,
                   CASE WHEN s.rank <= d.against THEN 'against'
                        WHEN s.rank <= d.against + d.abstain THEN 'abstain' ELSE 'for' END,
                   m.admin_id, d.created_at + s.rank * interval '5 minutes'
            FROM bench_decision d
            JOIN (SELECT committee, position, row_number() OVER (PARTITION BY committee
                                                                ORDER BY seat_order) AS rank
                  FROM bench_seat WHERE voting) s ON s.committee = d.committee
                 AND s.rank <= d.voters
            JOIN bench_member m ON m.alliance = d.alliance AND m.position = s.position""",  # noqa: S608
        f"""INSERT INTO public.action_items (id, alliance_id, committee_id, meeting_id, title,
                                             owner_organisation_id, owner_user_id, due_on,
                                             status, completed_at, version, created_at)
            SELECT {sql.id("action", meeting_key + " || ':' || i")},
                   m.alliance_id, {sql.id("committee", "m.alliance || ':' || t.committee")},
                   {sql.id("meeting", meeting_key)},
                   (ARRAY['Circulate the revised protocol', 'Send the cohort numbers',
                          'Book the validation lab'])[i + 1],
                   m.organisation_id, m.admin_id,
                   (starts + (ARRAY[14, 30, 60])[i + 1] * interval '1 day')::date,
                   CASE WHEN i = 0 THEN 'done' ELSE 'open' END,
                   CASE WHEN i = 0 THEN starts + interval '10 days' END,
                   CASE WHEN i = 0 THEN 2 ELSE 1 END,
                   starts + interval '90 minutes' + i * interval '1 minute'
            FROM bench_meeting t JOIN bench_seat s ON s.committee = t.committee AND s.voting
            JOIN bench_member m ON m.position = s.position,
                 LATERAL (SELECT {epoch} + t.day_offset * interval '1 day' + interval '9 hours'
                                 + m.alliance * interval '1 minute' AS starts) st,
                 generate_series(0, 2) i
            WHERE t.held AND s.seat_order = i""",  # noqa: S608
        f"""INSERT INTO public.plans (id, alliance_id, owner_organisation_id, status,
                                      visibility, visibility_committee_id, version,
                                      approved_version, approved_by_decision_id, created_at,
                                      updated_at)
            SELECT p.id, m.alliance_id, m.organisation_id, p.status, p.visibility,
                   CASE WHEN p.visibility = 'committee'
                        THEN {sql.id("committee", "p.alliance || ':1'")} END,
                   p.version,
                   CASE WHEN approved THEN p.version END,
                   CASE WHEN approved THEN {sql.id("decision", "'plan:' || p.n")} END,
                   p.created_at,
                   p.created_at + CASE p.status WHEN 'proposed' THEN interval '3 days'
                                                WHEN 'approved' THEN interval '4 days'
                                                WHEN 'active' THEN interval '5 days'
                                                WHEN 'completed' THEN interval '6 days'
                                                ELSE (p.version - 1) * interval '2 days' END
            FROM bench_plan p JOIN bench_member m ON m.alliance = p.alliance
                 AND m.position = p.owner,
                 LATERAL (SELECT p.status IN ('approved', 'active', 'completed')
                                 AS approved) s""",  # noqa: S608
        f"""INSERT INTO public.plan_versions (id, alliance_id, plan_id, number, title, summary,
                                              body, organisation_id, user_id, created_at)
            SELECT {sql.id("plan-version", "p.n || ':' || v")}, m.alliance_id, p.id, v,
                   CASE WHEN v = 1 AND p.version = 2 THEN 'Draft: ' ELSE '' END
                   || 'Plan ' || p.alliance || '.' || p.local || ': '
                   || (ARRAY['Biomarker discovery in responders', 'Cohort harmonisation',
                             'Assay validation', 'Natural-history registry',
                             'Federated analysis pipeline', 'Imaging endpoints',
                             'Gene-therapy vector screen'])[p.n % 7 + 1],
                   'Work package ' || (p.local % 6 + 1) || ' of the alliance, led by the owner.',
                   'Aims: identify and validate markers in two cohorts. Methods: pooled '
                   || 'samples, harmonised assays, blinded analysis. Deliverables: a protocol, '
                   || 'a validated panel and a publication. Version ' || v || '.',
                   m.organisation_id, m.admin_id,
                   p.created_at + (v - 1) * interval '2 days'
            FROM bench_plan p JOIN bench_member m ON m.alliance = p.alliance
                 AND m.position = p.owner,
                 generate_series(1, p.version) v""",  # noqa: S608
        # ORGANISATIONS audiences name the owner (as portal.plans does) and two members.
        f"""INSERT INTO public.visibility_grants (id, alliance_id, object_id, organisation_id)
            SELECT {sql.id("grant", "'plan:' || p.n || ':' || g.offset_")}, m.alliance_id,
                   p.id, m.organisation_id
            FROM bench_plan p, unnest(ARRAY[0, 7, 8]) AS g(offset_)
            JOIN bench_member m ON true
            WHERE p.visibility = 'organisations' AND m.alliance = p.alliance
              AND m.position = (p.owner + g.offset_) % 10""",  # noqa: S608
        f"""INSERT INTO public.milestones (id, alliance_id, plan_id, kind, title,
                                           responsible_organisation_id, due_on, status,
                                           completed_at, version, created_at)
            SELECT {sql.id("milestone", "p.n || ':' || i")}, m.alliance_id, p.id,
                   CASE WHEN i = 0 THEN 'milestone' ELSE 'deliverable' END,
                   CASE WHEN i = 0 THEN 'Cohorts harmonised' ELSE 'Validated panel' END,
                   m.organisation_id,
                   (p.created_at + (90 + 90 * i) * interval '1 day')::date,
                   CASE WHEN p.status = 'completed' THEN 'done'
                        WHEN p.status = 'active' AND i = 0 THEN 'in_progress'
                        ELSE 'planned' END,
                   CASE WHEN p.status = 'completed'
                        THEN p.created_at + (80 + 90 * i) * interval '1 day' END,
                   CASE WHEN p.status IN ('completed', 'active') AND i = 0 THEN 2 ELSE 1 END,
                   p.created_at + interval '1 hour' + i * interval '1 minute'
            FROM bench_plan p, generate_series(0, 1) i
            JOIN bench_member m ON true
            WHERE m.alliance = p.alliance AND m.position = (p.owner + i) % 10""",  # noqa: S608
        # -- contributions --------------------------------------------------------------
        """CREATE TEMP TABLE bench_contribution (
               n int PRIMARY KEY, plan int, alliance int, position int, plan_owner int,
               id uuid, kind text, status text, visibility text, committee int,
               valued boolean, amount numeric(18, 2), currency text, created_at timestamptz
           ) ON COMMIT DROP""",
        # Contribution n is the (n mod 10)-th of plan n/10, by member (plan's local number
        # + n mod 10) mod 10: every member contributes to every plan of the page alliance.
        f"""INSERT INTO bench_contribution
            SELECT c.n, p.n, p.alliance, (p.local + c.n % 10) % 10, p.owner,
                   {sql.id("contribution", "c.n")},
                   (ARRAY['cash', 'cash', 'cash', 'personnel', 'personnel', 'knowledge',
                          'knowledge', 'ip', 'equipment', 'equipment'])
                       [{sql.choice("kind", "c.n", 10)} + 1],
                   (ARRAY['pledged', 'pledged', 'pledged', 'pledged', 'committed',
                          'committed', 'committed', 'delivered', 'delivered', 'withdrawn'])
                       [{sql.choice("status", "c.n", 10)} + 1],
                   CASE WHEN vis < 2 THEN 'committee' WHEN vis < 4 THEN 'organisations'
                        ELSE 'alliance' END,
                   {sql.choice("committee", "c.n", 3)},
                   {sql.choice("valued", "c.n", 100)} < 85,
                   1000 + {sql.choice("amount", "c.n", 100000000)} / 100.0,
                   (ARRAY['EUR', 'EUR', 'EUR', 'USD', 'CHF', 'GBP'])
                       [{sql.choice("currency", "c.n", 6)} + 1],
                   p.created_at + (c.n % 10 + 1) * interval '7 minutes'
                       + {_micros("c.n + 1")} * interval '1 microsecond'
            FROM generate_series(0, {shape.contributions - 1}) AS c(n)
            JOIN bench_plan p ON p.n = c.n / {CONTRIBUTIONS_PER_PLAN},
                 LATERAL (SELECT {sql.choice("visibility", "c.n", 20)} AS vis) chosen""",  # noqa: S608
        f"""INSERT INTO public.contributions (id, alliance_id, organisation_id, plan_id, kind,
                                              description, quantity, unit, period_start,
                                              period_end, status, visibility,
                                              visibility_committee_id, version, created_at)
            SELECT c.id, m.alliance_id, m.organisation_id, {sql.id("plan", "c.plan")}, c.kind,
                   CASE c.kind WHEN 'cash' THEN 'Programme funding, tranche ' || (c.n % 4 + 1)
                               WHEN 'personnel' THEN 'Research scientists for the assays'
                               WHEN 'knowledge' THEN 'Protocols and analysis know-how'
                               WHEN 'ip' THEN 'Licence to the background assay patent'
                               ELSE 'Sequencer time and sample storage' END,
                   CASE c.kind WHEN 'cash' THEN c.amount
                               WHEN 'personnel' THEN (1 + {sql.choice("fte", "c.n", 8)}) * 0.25
                               WHEN 'knowledge' THEN 1 + {sql.choice("months", "c.n", 24)}
                               WHEN 'ip' THEN 1
                               ELSE 1 + {sql.choice("units", "c.n", 5)} END,
                   CASE c.kind WHEN 'cash' THEN c.currency WHEN 'personnel' THEN 'FTE'
                               WHEN 'knowledge' THEN 'person-months' WHEN 'ip' THEN 'licence'
                               ELSE 'units' END,
                   (c.created_at - (c.n % 90) * interval '1 day')::date,
                   (c.created_at + (30 + c.n % 335) * interval '1 day')::date,
                   c.status, c.visibility,
                   CASE WHEN c.visibility = 'committee'
                        THEN {sql.id("committee", "c.alliance || ':' || c.committee")} END,
                   CASE c.status WHEN 'pledged' THEN 1 WHEN 'committed' THEN 2
                                 WHEN 'delivered' THEN 3
                                 ELSE CASE WHEN c.n % 2 = 0 THEN 3 ELSE 2 END END,
                   c.created_at
            FROM bench_contribution c JOIN bench_member m ON m.alliance = c.alliance
                 AND m.position = c.position""",  # noqa: S608
        """INSERT INTO public.contribution_valuations (contribution_id, alliance_id,
                                                        organisation_id, amount, currency)
            SELECT c.id, m.alliance_id, m.organisation_id, c.amount, c.currency
            FROM bench_contribution c JOIN bench_member m ON m.alliance = c.alliance
                 AND m.position = c.position
            WHERE c.valued""",
        # Steps: PLEDGED when recorded; COMMITTED by the contributor; DELIVERED confirmed
        # by the plan's owner, or the lead when the owner contributed, or the steering
        # secretary when the lead did (policy.DELIVERY_RULE); WITHDRAWN by the contributor,
        # after committing for every other one.
        f"""INSERT INTO public.contribution_steps (id, alliance_id, contribution_id, status,
                                                   organisation_id, user_id, note, at)
            SELECT {sql.id("step", "c.n || ':' || step.status")}, m.alliance_id, c.id,
                   step.status, actor.organisation_id, actor.admin_id, step.note,
                   c.created_at + step.after
            FROM bench_contribution c,
                 LATERAL (VALUES ('pledged', interval '0', '', true),
                                 ('committed', interval '3 days', 'Budget signed off.',
                                  c.status IN ('committed', 'delivered')
                                  OR (c.status = 'withdrawn' AND c.n % 2 = 0)),
                                 ('delivered', interval '30 days', 'Received in full.',
                                  c.status = 'delivered'),
                                 ('withdrawn', interval '10 days', 'Priorities changed.',
                                  c.status = 'withdrawn'))
                         AS step(status, after, note, taken)
            JOIN bench_member m ON true
            JOIN bench_member actor ON true
            WHERE step.taken AND m.alliance = c.alliance AND m.position = c.position
              AND actor.alliance = c.alliance
              AND actor.position = CASE
                  WHEN step.status <> 'delivered' THEN c.position
                  WHEN c.plan_owner <> c.position THEN c.plan_owner
                  WHEN c.position <> 0 THEN 0
                  ELSE 2 END""",  # noqa: S608
        f"""INSERT INTO public.visibility_grants (id, alliance_id, object_id, organisation_id)
            SELECT {sql.id("grant", "'contribution:' || c.n || ':' || g.offset_")},
                   m.alliance_id, c.id, m.organisation_id
            FROM bench_contribution c, unnest(ARRAY[0, 2, 5]) AS g(offset_)
            JOIN bench_member m ON true
            WHERE c.visibility = 'organisations' AND m.alliance = c.alliance
              AND m.position = (c.position + g.offset_) % 10""",  # noqa: S608
    ]


async def _insert_tokens(
    connection: asyncpg.Connection[Any], sql: _Sql, shape: Shape, secret: str
) -> None:
    """One API token per benchmark principal, made by its organisation's admin, holding
    every read scope; expiring in 300 days from now (the portal allows at most a year)."""
    rows = []
    for role in ROLES:
        number = organisation_number(role, shape)
        token = bench_token(sql.seed, role)
        rows.append(
            (
                ident(sql.seed, "token", role.name),
                ident(sql.seed, "organisation", number),
                ident(sql.seed, "user", f"{number}:admin"),
                f"bench {role.name}",
                hash_token(token, secret),
                token[-4:],
                sorted(scope.value for scope in READ_SCOPES),
            )
        )
    await connection.executemany(
        """INSERT INTO public.api_tokens (id, organisation_id, created_by_user_id, name,
                                          token_hash, last_four, scopes, expires_at,
                                          created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, now() + interval '300 days', now())""",
        rows,
    )


class NotEmpty(Exception):
    """The database already holds organisations: the dataset goes into an empty one."""


async def generate(
    connection: asyncpg.Connection[Any],
    *,
    seed: int = DEFAULT_SEED,
    scale: float = 1.0,
    secret: str = TOKEN_SECRET,
    analyze: bool = True,
) -> Manifest:
    """Load the dataset of ``seed`` and ``scale`` into the migrated, empty database behind
    ``connection`` (the operator's: it writes past row-level security), in one transaction,
    then ``ANALYZE`` it so the planner knows its size. Tokens are hashed with ``secret``,
    the server's ``PORTAL_TOKEN_SECRET``."""
    shape = Shape.for_scale(scale)
    sql = _Sql(seed)
    async with connection.transaction():
        if await connection.fetchval("SELECT EXISTS (SELECT FROM public.organisations)"):
            raise NotEmpty("the database already holds organisations")
        for statement in _statements(sql, shape):
            await connection.execute(statement)
        await _insert_tokens(connection, sql, shape, secret)
    if analyze:
        await connection.execute("ANALYZE")
    return manifest(seed, shape)


def fingerprint_query() -> str:
    """A statement answering one digest per table the generator fills, of every row in
    key order (the tokens without their clock-relative timestamps)."""
    tables = {
        "organisations": "id",
        "users": "id",
        "alliances": "id",
        "memberships": "id",
        "governance_rules": "alliance_id",
        "committees": "id",
        "seats": "id",
        "seat_representatives": "id",
        "meetings": "id",
        "agenda_items": "id",
        "attendances": "id",
        "minutes": "id",
        "minutes_versions": "id",
        "signatures": "id",
        "decisions": "id",
        "votes": "id",
        "action_items": "id",
        "plans": "id",
        "plan_versions": "id",
        "visibility_grants": "id",
        "milestones": "id",
        "contributions": "id",
        "contribution_valuations": "contribution_id",
        "contribution_steps": "id",
    }
    # table names and keys are the constants above
    parts = [
        f"SELECT '{table}' AS name, count(*) AS rows, md5(string_agg(t::text, '|'"  # noqa: S608
        f" ORDER BY t.{key})) AS digest FROM public.{table} t"
        for table, key in tables.items()
    ]
    parts.append(
        "SELECT 'api_tokens', count(*), md5(string_agg(concat_ws(',', id, organisation_id,"
        " created_by_user_id, name, encode(token_hash, 'hex'), last_four, scopes::text),"
        " '|' ORDER BY id)) FROM public.api_tokens"
    )
    return " UNION ALL ".join(parts)


def token_hash_matches(token: str, stored: bytes, secret: str) -> bool:
    """Whether ``stored`` is ``token``'s hash under ``secret`` (to tell a dataset made with
    another secret apart)."""
    return hmac.compare_digest(hash_token(token, secret), stored)
