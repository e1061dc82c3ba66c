"""The SQL functions the compiled statements format values with write what strawberry and
the resolvers write, and PostgreSQL inlines them (migration 0019): a function it cannot
inline costs a call per row of every page."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry import relay

INSTANTS = [
    dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC),
    dt.datetime(2026, 1, 1, 10, 0, 0, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 6, 30, 23, 59, 59, 120000, tzinfo=dt.UTC),
    # another zone: the same instant in UTC; a zero fraction there too
    dt.datetime(2026, 3, 29, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    dt.datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
]


@pytest.mark.parametrize("instant", INSTANTS, ids=str)
async def test_a_datetime_is_written_as_isoformat_of_its_utc_instant(
    engine: AsyncEngine, instant: dt.datetime
) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SET LOCAL TimeZone = 'America/New_York'"))
        written = await connection.scalar(
            text("SELECT public.portal_json_datetime(:instant)"), {"instant": instant}
        )
    assert written == instant.astimezone(dt.UTC).isoformat()


async def test_a_global_id_and_a_cursor_are_written_as_the_resolvers_write_them(
    engine: AsyncEngine,
) -> None:
    id_ = uuid.UUID("1c5a425d-ae36-8b1a-a605-279175f5445c")
    long_type = "ContributionValuationStepWithAVeryLongName"  # base64 past one line
    parts = json.dumps(["created_desc", "2026-01-01T10:00:00+00:00", "é/?>>"], ensure_ascii=False)
    async with engine.connect() as connection:
        found = (
            await connection.execute(
                text(
                    "SELECT public.portal_global_id('Plan', :id),"
                    " public.portal_global_id(:long, :id), public.portal_cursor(:parts)"
                ),
                {"id": id_, "long": long_type, "parts": parts},
            )
        ).one()
    assert found[0] == str(relay.GlobalID("Plan", str(id_)))
    assert found[1] == str(relay.GlobalID(long_type, str(id_)))
    assert found[2] == base64.urlsafe_b64encode(parts.encode()).decode().rstrip("=")


async def test_postgresql_inlines_the_formatting_functions(engine: AsyncEngine) -> None:
    """Inlined, a call leaves no trace in the plan: its body is the expression."""
    async with engine.connect() as connection:
        plan = await connection.scalar(
            text(
                "EXPLAIN (VERBOSE, FORMAT JSON) SELECT public.portal_json_datetime(now()),"
                " public.portal_global_id('Plan', gen_random_uuid()),"
                " public.portal_cursor(now()::text)"
            )
        )
    output = " ".join(plan[0]["Plan"]["Output"])
    assert "portal_" not in output
    assert "to_char" in output
    assert "encode" in output
