"""``python -m bench``: generate the dataset, smoke-test the answers, run the benchmark.

``run`` starts a private PostgreSQL cluster (or uses ``--database-url``), loads the
dataset, starts the portal and the baseline against it, and measures each workload on
both servers in alternating intervals; see ``bench/README.md`` for what each figure means.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import httpx
import typer

from bench import load, measure, smoke
from bench.baseline import serve
from bench.cluster import DEFAULT_BIN, Cluster
from bench.database import create_database, drop_database, fresh_name, libpq_url, migrate
from bench.generate import (
    DEFAULT_SEED,
    MEMBER,
    ROLES,
    TOKEN_SECRET,
    Manifest,
    NotEmpty,
    Shape,
    generate,
    manifest,
    token_hash_matches,
)
from bench.report import (
    BASELINE,
    PORTAL,
    Figures,
    Interval,
    errors_text,
    markdown,
    ratios,
    statements_text,
)
from bench.servers import ROOT, Server, start_baseline, start_portal
from bench.workloads import WORKLOADS, Targets, Workload, find_targets, request_body

app = typer.Typer(
    help="The read-path benchmark of Alliance Portal (issue 10): see bench/README.md.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

SMOKE_SCALE = 0.01

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        help="An operator's (superuser's) URL. Without it, a private PostgreSQL cluster is "
        "started in a temporary directory and removed afterwards."
    ),
]
SeedOption = Annotated[int, typer.Option(help="The dataset's seed.")]
SecretOption = Annotated[
    str, typer.Option(help="PORTAL_TOKEN_SECRET: the tokens are hashed with it.")
]
PgBinOption = Annotated[Path, typer.Option(help="Where initdb and postgres are.")]


def _pairs(values: list[str], what: str) -> dict[str, str]:
    found = {}
    for value in values:
        key, sign, setting = value.partition("=")
        if not sign or not key:
            raise typer.BadParameter(f"{value!r} is not KEY=VALUE", param_hint=what)
        found[key.strip()] = setting
    return found


# --- the dataset ------------------------------------------------------------------------


async def _dataset(url: str, *, seed: int, scale: float, secret: str, reuse: bool) -> Manifest:
    """Migrate ``url``'s database and load the dataset; with ``reuse``, a database already
    holding the dataset of ``seed`` (hashed with ``secret``) is used as it is."""
    await migrate(url)
    connection = await asyncpg.connect(libpq_url(url))
    try:
        shape = Shape.for_scale(scale)
        member = manifest(seed, shape).principals[MEMBER.name]
        stored = await connection.fetchval(
            "SELECT token_hash FROM public.api_tokens WHERE organisation_id = $1",
            member.organisation_id,
        )
        if stored is not None and reuse:
            if not token_hash_matches(member.token, stored, secret):
                raise typer.BadParameter("the dataset's tokens were hashed with another secret")
            # made at another scale, perhaps: the manifest needs the number of alliances
            # (the outsider's is the last), which the scale of alliances / 20 gives back
            alliances = await connection.fetchval("SELECT count(*) FROM public.alliances")
            return manifest(seed, Shape.for_scale(alliances / 20))
        try:
            started = dt.datetime.now(dt.UTC)
            made = await generate(connection, seed=seed, scale=scale, secret=secret)
        except NotEmpty:
            raise typer.BadParameter(
                "the database holds other data: give an empty one", param_hint="--database-url"
            ) from None
        took = (dt.datetime.now(dt.UTC) - started).total_seconds()
        typer.echo(
            f"generated {shape.organisations} organisations, {shape.alliances} alliances, "
            f"{shape.plans} plans, {shape.contributions} contributions in {took:.1f} s",
            err=True,
        )
        return made
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def _database(
    url: str | None,
    *,
    fresh: bool,
    pg_bin: Path,
    pg_settings: dict[str, str],
) -> AsyncIterator[tuple[str, Cluster | None]]:
    """The operator URL of the database to use: the private cluster's, a fresh database on
    ``url``'s server (``fresh``, dropped afterwards), or ``url`` itself."""
    if url is None:
        cluster = Cluster(pg_bin, pg_settings)
        with cluster:
            yield cluster.url, cluster
        return
    if not fresh:
        yield url, None
        return
    name = fresh_name("bench_smoke")
    created = await create_database(url, name)
    try:
        yield created, None
    finally:
        await drop_database(url, name)


@app.command("generate")
def generate_command(
    database_url: Annotated[str, typer.Option(help="The operator's URL of an empty database.")],
    scale: Annotated[float, typer.Option(help="1: the issue's shape; 0.01: the smoke's.")] = 1.0,
    seed: SeedOption = DEFAULT_SEED,
    token_secret: SecretOption = TOKEN_SECRET,
) -> None:
    """Migrate the database and load the deterministic dataset into it."""
    made = asyncio.run(
        _dataset(database_url, seed=seed, scale=scale, secret=token_secret, reuse=False)
    )
    for principal in made.principals.values():
        typer.echo(f"{principal.role.name:<9} {principal.organisation_id}  {principal.token}")


# --- the smoke ----------------------------------------------------------------------------


async def _smoke(
    url: str | None,
    *,
    seed: int,
    pg_bin: Path,
    portal_settings: dict[str, str],
    logs: Path | None,
) -> int:
    async with _database(url, fresh=True, pg_bin=pg_bin, pg_settings={}) as (operator, _):
        made = await _dataset(
            operator, seed=seed, scale=SMOKE_SCALE, secret=TOKEN_SECRET, reuse=False
        )
        targets = await _targets(operator, made)
        cases = smoke.all_cases(made, targets)
        with (
            _log_directory(logs) as directory,
            _servers(
                operator, directory, budget=True, portal_settings=portal_settings, pool_size=2
            ) as (portal, baseline),
        ):
            async with (
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{portal.port}") as portal_client,
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{baseline.port}") as base_client,
            ):
                differences = await smoke.compare(portal_client, base_client, cases)
    for difference in differences:
        typer.echo(difference + "\n")
    typer.echo(smoke.summary(cases, differences), err=True)
    return 1 if differences else 0


@app.command("smoke")
def smoke_command(
    database_url: Annotated[
        str | None,
        typer.Option(
            help="A superuser's URL of a PostgreSQL server: the smoke creates its own "
            "database there and drops it. Without it, a private cluster is started."
        ),
    ] = None,
    seed: SeedOption = DEFAULT_SEED,
    pg_bin: PgBinOption = DEFAULT_BIN,
    portal_setting: Annotated[
        list[str] | None,
        typer.Option(help="A portal setting KEY=VALUE (PORTAL_KEY); repeat."),
    ] = None,
    logs: Annotated[
        Path | None, typer.Option(help="Keep the servers' output in this directory.")
    ] = None,
) -> None:
    """Small dataset, both servers: every workload's answer, as every benchmark principal,
    must be the same from the portal and from the baseline. Exits 1 and prints the diffs
    otherwise."""
    settings = _pairs(portal_setting or [], "--portal-setting")
    code = asyncio.run(
        _smoke(database_url, seed=seed, pg_bin=pg_bin, portal_settings=settings, logs=logs)
    )
    raise typer.Exit(code)


# --- the servers --------------------------------------------------------------------------


@contextlib.contextmanager
def _log_directory(chosen: Path | None) -> Iterator[Path]:
    """Where the servers write their output: ``chosen`` (kept), or a temporary directory."""
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
        yield chosen
        return
    with tempfile.TemporaryDirectory(prefix="portal-bench-logs-") as logs:
        yield Path(logs)


async def _targets(url: str, made: Manifest) -> Targets:
    connection = await asyncpg.connect(libpq_url(url))
    try:
        return await find_targets(connection, made)
    finally:
        await connection.close()


@contextlib.contextmanager
def _servers(
    operator: str,
    logs: Path,
    *,
    budget: bool,
    portal_settings: dict[str, str],
    pool_size: int,
) -> Iterator[tuple[Server, Server]]:
    # the same pool on both sides unless the caller sets the portal's own
    portal_settings = {"db_pool_size": str(pool_size), **portal_settings}
    with (
        start_portal(
            operator, TOKEN_SECRET, logs, budget=budget, settings=portal_settings
        ) as portal,
        start_baseline(operator, TOKEN_SECRET, logs, pool_size=pool_size) as baseline,
    ):
        yield portal, baseline


# --- the benchmark ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    """What to measure: a workload at a concurrency, as a principal."""

    workload: Workload
    concurrency: int
    principal: str


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Bench:
    """Measures intervals of load against one server at a time."""

    def __init__(
        self,
        probe: asyncpg.Connection[Any],
        statements: measure.Statements,
        postmaster: int | None,
        request_timeout: float,
        *,
        show_statements: bool = False,
    ) -> None:
        self.probe = probe
        self.statements = statements
        self.postmaster = postmaster
        self.request_timeout = request_timeout
        self.show_statements = show_statements

    async def interval(
        self, server: Server, target: load.Target, concurrency: int, seconds: float
    ) -> Interval:
        """Load ``server`` for ``seconds``; CPU, statements and memory around it."""
        await self.statements.reset(self.probe)
        peak_rss: list[int] = []

        async def sample_memory() -> None:
            while True:
                rss = measure.rss_kib(server.pid)
                if rss is not None:
                    peak_rss.append(rss)
                await asyncio.sleep(0.25)

        sampler = asyncio.create_task(sample_memory())
        server_before = measure.cpu_seconds(server.pid, reaped_children=True)
        postgres_before = measure.family_cpu_seconds(self.postmaster) if self.postmaster else None
        client_before = _client_cpu()
        outcome = await load.run(
            target, concurrency=concurrency, seconds=seconds, request_timeout=self.request_timeout
        )
        client_after = _client_cpu()
        server_after = measure.cpu_seconds(server.pid, reaped_children=True)
        postgres_after = measure.family_cpu_seconds(self.postmaster) if self.postmaster else None
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        calls = await self.statements.calls(self.probe)
        top = await self.statements.top(self.probe) if self.show_statements else []
        return Interval(
            requests=outcome.requests,
            errors=dict(outcome.errors),
            seconds=outcome.elapsed,
            latencies_ns=outcome.latencies_ns,
            server_cpu=server_after - server_before,
            postgres_cpu=(
                postgres_after - postgres_before
                if postgres_after is not None and postgres_before is not None
                else None
            ),
            statements=calls,
            rss_kib=max(peak_rss) if peak_rss else None,
            load=measure.load_average(),
            client_cpu=client_after - client_before,
            top_statements=top,
        )


async def _one_request(target: load.Target, request_timeout: float) -> Any:
    """One answer of the server behind ``target``, read with the load generator's client,
    in the smoke's comparable form."""
    reader, writer = await asyncio.open_connection(target.host, target.port)
    try:
        writer.write(target.request)
        status, body = await asyncio.wait_for(load.read_response(reader), request_timeout)
    finally:
        writer.close()
    return smoke.comparable(status, body)


async def _measure(
    scenarios: list[Scenario],
    made: Manifest,
    targets: Targets,
    servers: dict[str, Server],
    bench: Bench,
    *,
    rounds: int,
    seconds: float,
    warmup: float,
) -> list[tuple[Figures, Figures]]:
    pairs = []
    for scenario in scenarios:
        principal = made.principals[scenario.principal]
        body = request_body(scenario.workload, scenario.workload.variables(targets))
        requests = {
            name: load.Target.post_json("127.0.0.1", server.port, "/graphql", body, principal.token)
            for name, server in servers.items()
        }
        figures = {
            name: Figures(scenario.workload.name, scenario.concurrency, name, scenario.principal)
            for name in servers
        }
        answers = {
            name: await _one_request(requests[name], bench.request_timeout) for name in servers
        }
        agree = answers[PORTAL] == answers[BASELINE] and smoke.holds_data(answers[BASELINE])
        for found in figures.values():
            found.answers_agree = agree
        if warmup > 0:
            for name in servers:
                await load.run(
                    requests[name],
                    concurrency=scenario.concurrency,
                    seconds=warmup,
                    request_timeout=bench.request_timeout,
                )
        for round_number in range(rounds):
            order = [PORTAL, BASELINE] if round_number % 2 == 0 else [BASELINE, PORTAL]
            for name in order:
                figures[name].intervals.append(
                    await bench.interval(
                        servers[name], requests[name], scenario.concurrency, seconds / rounds
                    )
                )
        typer.echo(
            f"{scenario.workload.name} at {scenario.concurrency}: portal "
            f"{figures[PORTAL].requests_per_second or 0:.1f} req/s, baseline "
            f"{figures[BASELINE].requests_per_second or 0:.1f} req/s"
            + ("" if agree else " (ANSWERS DIFFER)"),
            err=True,
        )
        pairs.append((figures[PORTAL], figures[BASELINE]))
    return pairs


def _provenance() -> dict[str, Any]:
    """Which code ran, on what machine."""

    def git(*arguments: str) -> str | None:
        try:
            return subprocess.run(  # noqa: S603 - a fixed git command
                ["git", *arguments],  # noqa: S607 - git from PATH
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None  # not a git checkout (an exported tree)

    status = git("status", "--porcelain", "--untracked-files=no")
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": None if status is None else status != "",
        "machine": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How ``run`` measures (its command-line options)."""

    scenarios: list[Scenario]
    seed: int
    scale: float
    seconds: float
    rounds: int
    warmup: float
    request_timeout: float
    budget: bool
    portal_settings: dict[str, str]
    pg_bin: Path
    pg_settings: dict[str, str]
    pool_size: int
    show_statements: bool
    logs: Path | None


async def _run(url: str | None, options: RunOptions) -> dict[str, Any]:
    """Measure, and return the run's document: provenance, settings, figures, ratios."""
    load_before = os.getloadavg()
    database = _database(url, fresh=False, pg_bin=options.pg_bin, pg_settings=options.pg_settings)
    async with database as (operator, cluster):
        made = await _dataset(
            operator, seed=options.seed, scale=options.scale, secret=TOKEN_SECRET, reuse=True
        )
        targets = await _targets(operator, made)
        probe = await asyncpg.connect(libpq_url(operator))
        try:
            statements = await measure.Statements.probe(probe)
            postmaster = cluster.pid if cluster is not None else await measure.postmaster_of(probe)
            # the planner's statistics and the visibility map of what was just loaded
            await probe.execute("VACUUM ANALYZE")
            with (
                _log_directory(options.logs) as logs,
                _servers(
                    operator,
                    logs,
                    budget=options.budget,
                    portal_settings=options.portal_settings,
                    pool_size=options.pool_size,
                ) as (portal, baseline),
            ):
                servers = {PORTAL: portal, BASELINE: baseline}
                bench = Bench(
                    probe,
                    statements,
                    postmaster,
                    options.request_timeout,
                    show_statements=options.show_statements,
                )
                pairs = await _measure(
                    options.scenarios,
                    made,
                    targets,
                    servers,
                    bench,
                    rounds=options.rounds,
                    seconds=options.seconds,
                    warmup=options.warmup,
                )
                peak = {name: measure.peak_rss_kib(server.pid) for name, server in servers.items()}
        finally:
            await probe.close()
    summaries = [(p.summary(), b.summary()) for p, b in pairs]
    return {
        **_provenance(),
        "settings": {
            "seed": options.seed,
            "scale": options.scale,
            "seconds_per_workload_and_server": options.seconds,
            "rounds": options.rounds,
            "warmup_seconds": options.warmup,
            "cost_budget": options.budget,
            "portal_settings": options.portal_settings,
            "private_cluster": url is None,
        },
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "peak_rss_kib": peak,
        "statements_measured": statements.available,
        "postgres_cpu_measured": postmaster is not None,
        "answers_agree": all(p.answers_agree for p, _ in pairs),
        "runs": [{"portal": p, "baseline": b, "ratios": ratios(p, b)} for p, b in summaries],
    }


def _footer(document: dict[str, Any]) -> str:
    peak = document["peak_rss_kib"]
    before, after = document["load_average_before"][0], document["load_average_after"][0]
    return (
        "peak RSS (VmHWM): "
        + ", ".join(f"{name} {kib / 1024:.1f} MiB" for name, kib in peak.items() if kib)
        + f"; load average (1 min) before {before:.2f}, after {after:.2f}"
        + ("" if document["statements_measured"] else "; statements n/a (no pg_stat_statements)")
        + ("" if document["postgres_cpu_measured"] else "; PG CPU n/a (no local postmaster)")
        + f"; {document['date']}, commit {document['commit'] or 'unknown'}"
        + (" with uncommitted changes" if document["uncommitted_changes"] else "")
    )


def _scenarios(
    workloads: list[str], concurrency: int, extra: list[str], principal: str | None
) -> list[Scenario]:
    unknown = [name for name in workloads if name not in WORKLOADS]
    if unknown:
        raise typer.BadParameter(f"no workload {unknown}; know {sorted(WORKLOADS)}")
    if principal is not None and principal not in {role.name for role in ROLES}:
        raise typer.BadParameter(f"no principal {principal!r}", param_hint="--principal")
    chosen = workloads or list(WORKLOADS)
    scenarios = [
        Scenario(WORKLOADS[name], concurrency, principal or WORKLOADS[name].principal)
        for name in chosen
    ]
    for item in extra:
        name, _, value = item.partition(":")
        if name not in WORKLOADS or not value.isdigit():
            raise typer.BadParameter(f"{item!r} is not WORKLOAD:CONNECTIONS", param_hint="--also")
        if name in chosen:
            scenarios.append(
                Scenario(WORKLOADS[name], int(value), principal or WORKLOADS[name].principal)
            )
    return scenarios


@app.command("run")
def run_command(
    database_url: DatabaseOption = None,
    scale: Annotated[float, typer.Option(help="The dataset's scale (1: the issue's).")] = 1.0,
    seed: SeedOption = DEFAULT_SEED,
    duration: Annotated[
        float, typer.Option(help="Seconds of measured load per workload and server.")
    ] = 10.0,
    rounds: Annotated[
        int, typer.Option(min=1, help="Intervals per workload and server, alternating.")
    ] = 2,
    warmup: Annotated[float, typer.Option(help="Seconds of unmeasured load first.")] = 2.0,
    concurrency: Annotated[int, typer.Option(min=1, help="Connections.")] = 16,
    also: Annotated[
        list[str] | None,
        typer.Option(help="Also WORKLOAD:CONNECTIONS; repeat. Default: alliance_page:64."),
    ] = None,
    workload: Annotated[
        list[str] | None, typer.Option(help="Only this workload; repeat. Default: all.")
    ] = None,
    principal: Annotated[
        str | None,
        typer.Option(help="Run every workload as member, steering or outsider."),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures here.")
    ] = None,
    no_budget: Annotated[
        bool, typer.Option(help="Switch the portal's cost-budget bookkeeping off.")
    ] = False,
    portal_setting: Annotated[
        list[str] | None,
        typer.Option(help="A portal setting KEY=VALUE (PORTAL_KEY); repeat."),
    ] = None,
    pg_setting: Annotated[
        list[str] | None,
        typer.Option(help="A setting of the private cluster KEY=VALUE; repeat."),
    ] = None,
    pg_bin: PgBinOption = DEFAULT_BIN,
    pool_size: Annotated[
        int,
        typer.Option(
            help="The most connections each server keeps (the portal's PORTAL_DB_POOL_SIZE, "
            "unless --portal-setting db_pool_size=N says otherwise)."
        ),
    ] = 20,
    timeout: Annotated[
        float, typer.Option(help="Seconds before a request counts as failed.")
    ] = 60.0,
    show_statements: Annotated[
        bool, typer.Option(help="Also print each run's most frequent statements.")
    ] = False,
    logs: Annotated[
        Path | None, typer.Option(help="Keep the servers' output in this directory.")
    ] = None,
) -> None:
    """Measure the portal against the baseline, workload by workload, in alternating
    intervals; print a Markdown table (and JSON with --json). Exits 1 if any workload's
    answers differ between the servers."""
    options = RunOptions(
        scenarios=_scenarios(
            workload or [], concurrency, ["alliance_page:64"] if also is None else also, principal
        ),
        seed=seed,
        scale=scale,
        seconds=duration,
        rounds=rounds,
        warmup=warmup,
        request_timeout=timeout,
        budget=not no_budget,
        portal_settings=_pairs(portal_setting or [], "--portal-setting"),
        pg_bin=pg_bin,
        pg_settings=_pairs(pg_setting or [], "--pg-setting"),
        pool_size=pool_size,
        show_statements=show_statements,
        logs=logs,
    )
    document = asyncio.run(_run(database_url, options))
    pairs = [(run["portal"], run["baseline"]) for run in document["runs"]]
    typer.echo(markdown(pairs) + "\n\n" + _footer(document))
    errors = errors_text(pairs)
    if errors:
        typer.echo("\n" + errors)
    if show_statements:
        typer.echo(statements_text(pairs))
    if json_path is not None:
        json_path.write_text(json.dumps(document, indent=2) + "\n")
    raise typer.Exit(0 if document["answers_agree"] else 1)


@app.command("serve-baseline")
def serve_baseline_command(
    database_url: Annotated[str, typer.Option(help="The operator's URL.")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")],
    token_secret: SecretOption = TOKEN_SECRET,
    pool_size: Annotated[int, typer.Option(help="Connections kept open.")] = 20,
) -> None:
    """Run the baseline server (the runner starts it; useful by hand too)."""
    serve(database_url, host="127.0.0.1", port=port, secret=token_secret, pool_size=pool_size)


def main() -> None:
    """The ``python -m bench`` command."""
    app()
