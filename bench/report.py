"""The figures of a benchmark run, their ratios, and how they are printed."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.load import percentile

PORTAL = "portal"
BASELINE = "baseline"


@dataclass(slots=True)
class Interval:
    """One measured interval of one server."""

    requests: int
    errors: dict[str, int]
    """What went wrong, by kind (``bench.load.error_kind``)."""
    seconds: float
    latencies_ns: list[int]
    server_cpu: float
    postgres_cpu: float | None
    statements: int | None
    rss_kib: int | None
    load: float
    client_cpu: float
    top_statements: list[tuple[str, int]] = field(default_factory=list)
    """With ``--show-statements``: the interval's most frequent statements and calls."""


@dataclass(slots=True)
class Figures:
    """One workload at one concurrency on one server, over all its intervals."""

    workload: str
    concurrency: int
    server: str
    principal: str
    intervals: list[Interval] = field(default_factory=list)
    answers_agree: bool | None = None

    @property
    def requests(self) -> int:
        return sum(i.requests for i in self.intervals)

    @property
    def errors(self) -> int:
        return sum(sum(i.errors.values()) for i in self.intervals)

    @property
    def error_kinds(self) -> dict[str, int]:
        """Every interval's errors by kind, most frequent first."""
        kinds: dict[str, int] = {}
        for interval in self.intervals:
            for kind, count in interval.errors.items():
                kinds[kind] = kinds.get(kind, 0) + count
        return dict(sorted(kinds.items(), key=lambda item: (-item[1], item[0])))

    @property
    def seconds(self) -> float:
        return sum(i.seconds for i in self.intervals)

    def _per_request_ms(self, total: float | None) -> float | None:
        if total is None or not self.requests:
            return None
        return 1000 * total / self.requests

    @property
    def requests_per_second(self) -> float | None:
        return self.requests / self.seconds if self.seconds else None

    def latency_ms(self, share: float) -> float | None:
        found = percentile(sorted(n for i in self.intervals for n in i.latencies_ns), share)
        return found / 1e6 if found is not None else None

    @property
    def server_cpu_ms(self) -> float | None:
        return self._per_request_ms(sum(i.server_cpu for i in self.intervals))

    @property
    def postgres_cpu_ms(self) -> float | None:
        values = [i.postgres_cpu for i in self.intervals]
        return None if None in values else self._per_request_ms(sum(v or 0 for v in values))

    @property
    def statements_per_request(self) -> float | None:
        values = [i.statements for i in self.intervals]
        if None in values or not self.requests:
            return None
        return sum(v or 0 for v in values) / self.requests

    @property
    def client_cpu_ms(self) -> float | None:
        return self._per_request_ms(sum(i.client_cpu for i in self.intervals))

    @property
    def rss_mib(self) -> float | None:
        values = [i.rss_kib for i in self.intervals if i.rss_kib is not None]
        return max(values) / 1024 if values else None

    @property
    def load(self) -> float | None:
        values = [i.load for i in self.intervals]
        return sum(values) / len(values) if values else None

    def _top_statements(self) -> list[dict[str, Any]]:
        """The statements of all intervals, per request, most frequent first."""
        calls: dict[str, int] = {}
        for interval in self.intervals:
            for query, count in interval.top_statements:
                calls[query] = calls.get(query, 0) + count
        ranked = sorted(calls.items(), key=lambda item: (-item[1], item[0]))
        return [
            {"query": query, "per_request": count / self.requests if self.requests else None}
            for query, count in ranked
        ]

    def summary(self) -> dict[str, Any]:
        """The figures as JSON-able values."""
        return {
            "workload": self.workload,
            "concurrency": self.concurrency,
            "server": self.server,
            "principal": self.principal,
            "requests": self.requests,
            "errors": self.errors,
            "error_kinds": self.error_kinds,
            "seconds": self.seconds,
            "requests_per_second": self.requests_per_second,
            "p50_ms": self.latency_ms(0.50),
            "p99_ms": self.latency_ms(0.99),
            "server_cpu_ms_per_request": self.server_cpu_ms,
            "postgres_cpu_ms_per_request": self.postgres_cpu_ms,
            "statements_per_request": self.statements_per_request,
            "max_rss_mib": self.rss_mib,
            "client_cpu_ms_per_request": self.client_cpu_ms,
            "load_average": self.load,
            "answers_agree": self.answers_agree,
            "top_statements": self._top_statements(),
            "intervals": [
                {k: v for k, v in asdict(i).items() if k not in {"latencies_ns", "top_statements"}}
                for i in self.intervals
            ],
        }


RATIO_FIGURES = (
    ("requests_per_second", "req/s"),
    ("p50_ms", "p50"),
    ("p99_ms", "p99"),
    ("server_cpu_ms_per_request", "server CPU"),
    ("postgres_cpu_ms_per_request", "PG CPU"),
    ("statements_per_request", "statements"),
    ("max_rss_mib", "RSS"),
)


def ratios(portal: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    """portal / baseline for each figure both runs measured."""
    found: dict[str, float | None] = {}
    for key, _ in RATIO_FIGURES:
        mine, theirs = portal.get(key), baseline.get(key)
        found[key] = mine / theirs if mine is not None and theirs else None
    return found


def _number(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 100 and digits <= 1:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def markdown(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> str:
    """The results as a Markdown table: each workload's two servers and their ratio."""
    head = (
        "| workload | conns | server | req/s | p50 ms | p99 ms | server CPU ms/req "
        "| PG CPU ms/req | statements/req | max RSS MiB | client CPU ms/req | errors | load |"
    )
    lines = [head, "|" + "---|" * 13]
    for portal, baseline in pairs:
        for figures in (portal, baseline):
            agree = "" if figures["answers_agree"] is not False else " (answers differ!)"
            lines.append(
                f"| {figures['workload']}{agree} | {figures['concurrency']} "
                f"| {figures['server']} ({figures['principal']}) "
                f"| {_number(figures['requests_per_second'])} "
                f"| {_number(figures['p50_ms'], 2)} | {_number(figures['p99_ms'], 2)} "
                f"| {_number(figures['server_cpu_ms_per_request'], 2)} "
                f"| {_number(figures['postgres_cpu_ms_per_request'], 2)} "
                f"| {_number(figures['statements_per_request'], 2)} "
                f"| {_number(figures['max_rss_mib'])} "
                f"| {_number(figures['client_cpu_ms_per_request'], 2)} "
                f"| {figures['errors']} | {_number(figures['load_average'], 2)} |"
            )
        ratio = ratios(portal, baseline)
        cells = [_number(ratio[key], 3) for key, _ in RATIO_FIGURES]
        lines.append(
            f"| {portal['workload']} | {portal['concurrency']} | **portal/baseline** "
            f"| **{cells[0]}** | {cells[1]} | {cells[2]} | {cells[3]} | {cells[4]} "
            f"| {cells[5]} | {cells[6]} | | | |"
        )
    return "\n".join(lines)


def errors_text(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> str:
    """What each run's errors were, if any run had one (empty otherwise)."""
    lines = []
    for pair in pairs:
        for figures in pair:
            for kind, count in figures.get("error_kinds", {}).items():
                lines.append(
                    f"errors: {figures['workload']} at {figures['concurrency']}, "
                    f"{figures['server']}: {count} x {kind}"
                )
    return "\n".join(lines)


def statements_text(pairs: list[tuple[dict[str, Any], dict[str, Any]]], width: int = 160) -> str:
    """Each run's most frequent statements per request (``--show-statements``)."""
    lines = []
    for pair in pairs:
        for figures in pair:
            if not figures["top_statements"]:
                continue
            lines.append(
                f"\n{figures['workload']} at {figures['concurrency']}, {figures['server']}:"
            )
            for entry in figures["top_statements"]:
                per_request = _number(entry["per_request"], 2)
                lines.append(f"  {per_request:>6}  {entry['query'][:width]}")
    return "\n".join(lines)
