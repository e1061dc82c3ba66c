"""The load generator says what each error was, so a run's errors can be explained."""

from __future__ import annotations

import json

from bench.load import error_kind
from bench.report import Figures, Interval, errors_text


def test_an_answer_is_an_error_by_its_status_or_its_graphql_errors() -> None:
    refused = json.dumps(
        {"errors": [{"message": "budget spent", "extensions": {"code": "RATE_LIMITED"}}]}
    ).encode()
    assert error_kind(200, b'{"data":{"node":null}}') is None
    assert error_kind(200, refused) == "HTTP 200 RATE_LIMITED: budget spent"
    assert error_kind(429, refused) == "HTTP 429 RATE_LIMITED: budget spent"
    assert error_kind(502, b"Bad Gateway") == "HTTP 502 Bad Gateway"


def _interval(errors: dict[str, int]) -> Interval:
    return Interval(
        requests=10,
        errors=errors,
        seconds=1.0,
        latencies_ns=[1_000_000] * 10,
        server_cpu=0.01,
        postgres_cpu=None,
        statements=None,
        rss_kib=None,
        load=0.0,
        client_cpu=0.0,
    )


def test_a_runs_errors_are_counted_by_kind_over_its_intervals() -> None:
    figures = Figures("meeting_page", 16, "portal", "steering")
    figures.intervals = [
        _interval({"HTTP 500 INTERNAL: Internal server error.": 2}),
        _interval({"no answer: TimeoutError ": 1, "HTTP 500 INTERNAL: Internal server error.": 1}),
    ]
    summary = figures.summary()
    assert summary["errors"] == 4
    assert summary["error_kinds"] == {
        "HTTP 500 INTERNAL: Internal server error.": 3,
        "no answer: TimeoutError ": 1,
    }
    assert errors_text([(summary, {**summary, "error_kinds": {}})]) == (
        "errors: meeting_page at 16, portal: 3 x HTTP 500 INTERNAL: Internal server error.\n"
        "errors: meeting_page at 16, portal: 1 x no answer: TimeoutError "
    )
