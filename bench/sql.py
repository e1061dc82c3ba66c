"""SQL fragments that write values the way Alliance Portal serialises them, so that a
hand-written statement can build the portal's JSON response itself.

Every fragment is built from constants of this package (column names, type names), never
from request input: request values reach the statements only as bind parameters.
"""

from __future__ import annotations

UUID_TEXT_LENGTH = 36
BASE64_LINE_BYTES = 57
"""PostgreSQL's ``encode(..., 'base64')`` breaks lines after 76 characters, i.e. every 57
input bytes; global IDs stay below that, cursors do not (``cursor`` removes the breaks)."""


def global_id(type_name: str, column: str) -> str:
    """The Relay global ID of ``column`` (a uuid): standard base64, with padding, of
    ``"<type_name>:<uuid>"``, as strawberry's ``GlobalID`` writes it."""
    if len(type_name) + 1 + UUID_TEXT_LENGTH > BASE64_LINE_BYTES:
        raise ValueError(f"the global ID of {type_name} would need line breaks removed")
    return f"encode(convert_to('{type_name}:' || {column}::text, 'UTF8'), 'base64')"


def iso_datetime(column: str) -> str:
    """A ``timestamptz`` as Python's ``datetime.isoformat()`` writes a UTC datetime:
    ``2026-01-01T10:00:00.123456+00:00``, without the fraction when it is zero. NULL stays
    NULL (every part of the concatenation is NULL then)."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN date_part('microseconds', {utc})::bigint % 1000000 = 0 THEN ''"
        f" ELSE to_char({utc}, '.US') END || '+00:00')"
    )


def iso_date(column: str) -> str:
    """A ``date`` as ``date.isoformat()`` writes it, whatever the session's DateStyle."""
    return f"to_char({column}, 'YYYY-MM-DD')"


def enum(column: str) -> str:
    """A text enum column as its GraphQL enum name (the value, upper-cased)."""
    return f"upper({column})"


def decimal(column: str) -> str:
    """A numeric column as ``str(Decimal)``: its scale's digits, as a JSON string."""
    return f"{column}::text"


def cursor(ordering: str, *values: str) -> str:
    """A keyset cursor as ``schema.kernel.pagination.encode_cursor`` writes it: URL-safe
    base64 without padding of the compact JSON array ``[ordering, *values]``. ``values``
    are SQL text expressions whose JSON strings need no escaping (ISO timestamps, uuids)."""
    parts = " || '\",\"' || ".join(values)
    array = f"'[\"{ordering}\",\"' || {parts} || '\"]'"
    encoded = f"replace(encode(convert_to({array}, 'UTF8'), 'base64'), E'\\n', '')"
    return f"rtrim(translate({encoded}, '+/', '-_'), '=')"


def json_list(select: str) -> str:
    """A correlated ``SELECT json_agg(...)`` as a JSON list, empty rather than NULL."""
    return f"coalesce(({select}), '[]'::json)"


PRINCIPAL = """
mine AS (
    SELECT $1::uuid AS org,
           ARRAY(SELECT m.alliance_id FROM public.memberships m
                 WHERE m.organisation_id = $1::uuid AND m.left_at IS NULL) AS alliances
),
me AS (
    SELECT mine.org, mine.alliances,
           ARRAY(SELECT s.committee_id FROM public.seats s
                 WHERE s.organisation_id = mine.org
                   AND s.alliance_id = ANY (mine.alliances)) AS seated,
           ARRAY(SELECT s.alliance_id FROM public.seats s
                 JOIN public.committees c ON c.id = s.committee_id
                 WHERE s.organisation_id = mine.org AND c.tier = 'strategic'
                   AND s.alliance_id = ANY (mine.alliances)) AS steering
    FROM mine
)"""
"""CTEs ``mine`` and ``me``: the principal's organisation (``$1``), the alliances it is a
current member of, the committees it sits on there, and the alliances whose steering
committee it sits on. What ``auth.policy`` derives from the principal, once per statement."""


def in_audience(alias: str, *also: str, alliance: str | None = None) -> str:
    """``auth.policy._in_audience`` for the row ``alias`` (with ``visibility``,
    ``visibility_committee_id``, ``id`` and ``alliance_id``) in an alliance ``me`` is
    active in; ``also`` widens it (the owner, the contributor).

    ``alliance`` is the row's alliance when the statement already knows it: the membership
    test is then on that value, not on the column, so that an index on (alliance, ...)
    still reads rows in its order. A row listed by organisation looks its grant up by the
    unique (object, organisation) index: written as EXISTS, PostgreSQL would hash every
    grant of the database instead, for any row."""
    grant = (
        "SELECT true FROM public.visibility_grants g"  # noqa: S608 - constants and an alias
        f" WHERE g.object_id = {alias}.id AND g.organisation_id = me.org"
    )
    audience = (
        f"CASE {alias}.visibility WHEN 'alliance' THEN true"
        f" WHEN 'committee' THEN {alias}.visibility_committee_id = ANY (me.seated)"
        f" WHEN 'organisations' THEN coalesce(({grant}), false) ELSE false END"
    )
    member = f"{alliance or alias + '.alliance_id'} = ANY (me.alliances)"
    return f"{member} AND ({' OR '.join([*also, audience])})"
