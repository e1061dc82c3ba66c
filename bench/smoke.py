"""The correctness smoke: for every workload, benchmark principal and variable set, the
portal's answer must equal the baseline's (``data`` and ``errors``; the portal's
``extensions`` report its query cost, which the baseline does not compute)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bench.generate import Manifest, Principal
from bench.workloads import WORKLOADS, Targets, Variables, Workload, request_body


@dataclass(frozen=True, slots=True)
class Case:
    """One request both servers answer."""

    workload: Workload
    principal: Principal
    variables: Variables

    def __str__(self) -> str:
        return f"{self.workload.name} as {self.principal.role.name} {json.dumps(self.variables)}"


def all_cases(manifest: Manifest, targets: Targets) -> list[Case]:
    """Every workload's variable sets, as every benchmark principal."""
    return [
        Case(workload, principal, variables)
        for workload in WORKLOADS.values()
        for principal in manifest.principals.values()
        for variables in workload.all_cases(targets)
    ]


def comparable(status: int, body: bytes) -> Any:
    """What must be equal: the HTTP status and the body's ``data`` and ``errors``."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return {"status": status, "body": body.decode(errors="replace")}
    if isinstance(parsed, dict):
        parsed = {key: parsed[key] for key in ("data", "errors") if key in parsed}
    return {"status": status, "body": parsed}


def difference(case: Case, portal: Any, baseline: Any) -> str | None:
    """None when the answers are equal, else a unified diff (portal → baseline)."""
    if portal == baseline:
        return None
    lines = difflib.unified_diff(
        json.dumps(portal, indent=2, sort_keys=True).splitlines(),
        json.dumps(baseline, indent=2, sort_keys=True).splitlines(),
        fromfile="portal",
        tofile="baseline",
        lineterm="",
    )
    return f"{case}:\n" + "\n".join(lines)


def holds_data(answer: Any) -> bool:
    """Whether an answer shows something: every root field is neither null nor an empty
    page (two servers answering nothing alike would prove little)."""
    body = answer.get("body")
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict) or not data:
        return False
    return all(
        bool(value["edges"]) if isinstance(value, dict) and "edges" in value else bool(value)
        for value in data.values()
    )


async def ask(client: httpx.AsyncClient, case: Case) -> Any:
    """One case's answer from one server, in comparable form."""
    response = await client.post(
        "/graphql",
        json=request_body(case.workload, case.variables),
        headers={"Authorization": f"Bearer {case.principal.token}", "Accept": "application/json"},
    )
    return comparable(response.status_code, response.content)


async def compare(
    portal: httpx.AsyncClient, baseline: httpx.AsyncClient, cases: Iterable[Case]
) -> list[str]:
    """The differences between the two servers' answers, one diff per differing case
    (empty: they agree). Cases run one after the other: this checks answers, not speed."""
    found = []
    for case in cases:
        diff = difference(case, await ask(portal, case), await ask(baseline, case))
        if diff is not None:
            found.append(diff)
    return found


def summary(cases: Sequence[Case], differences: Sequence[str]) -> str:
    """A line for the end of the smoke's output."""
    if differences:
        return f"{len(differences)} of {len(cases)} answers differ"
    return f"all {len(cases)} answers agree"
