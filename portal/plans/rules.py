"""Pure rules of plans: limits, states, overdue milestones and the diff of two versions."""

from __future__ import annotations

import datetime as dt
import difflib
import uuid
from dataclasses import dataclass

from db.enums import (
    MilestoneKind,
    MilestoneStatus,
    PlanStatus,
)

TITLE_MAX = 200
SUMMARY_MAX = 10_000
BODY_MAX = 200_000
SUBJECT_TYPE = "PlanVersion"
"""The ``subject_type`` of a decision about a plan version (its GraphQL type name)."""
FINAL = frozenset({PlanStatus.COMPLETED, PlanStatus.CANCELLED})
REVISABLE = frozenset({PlanStatus.DRAFT, PlanStatus.PROPOSED, PlanStatus.APPROVED})
OPEN_MILESTONE = frozenset({MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS})


@dataclass(frozen=True, slots=True)
class Content:
    """The text of a plan version."""

    title: str
    summary: str = ""
    body: str = ""


@dataclass(frozen=True, slots=True)
class MilestoneChange:
    """Milestone fields to set; ``None`` leaves a field as it is."""

    kind: MilestoneKind | None = None
    title: str | None = None
    responsible_organisation_id: uuid.UUID | None = None
    due_on: dt.date | None = None


def is_overdue(status: MilestoneStatus, due_on: dt.date, *, today: dt.date) -> bool:
    """A milestone is overdue when it is neither done nor cancelled and its due date lies
    before ``today`` (a milestone due today is not overdue yet)."""
    return status in OPEN_MILESTONE and due_on < today


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """How one field differs between two versions: ``text`` is a unified diff, empty when
    the field did not change."""

    changed: bool
    text: str


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """What changed from one version of a plan to another, field by field."""

    from_number: int
    to_number: int
    title: FieldDiff
    summary: FieldDiff
    body: FieldDiff

    @property
    def changed(self) -> bool:
        return self.title.changed or self.summary.changed or self.body.changed


def _lines(text: str) -> list[str]:
    """``text`` as lines that keep their ``\\n`` (only ``\\n`` separates lines)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def unified_diff(old: str, new: str, *, from_label: str, to_label: str) -> str:
    """A unified diff (three lines of context) from ``old`` to ``new``, as ``diff -u``
    writes it, including its "No newline at end of file" marker; empty when equal."""
    if old == new:
        return ""
    out = []
    for line in difflib.unified_diff(_lines(old), _lines(new), from_label, to_label):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def diff_versions(
    old_number: int, old: Content, new_number: int, new: Content, *, name: str = "plan"
) -> VersionDiff:
    """Compare two versions' title, summary and body (a pure function)."""

    def field(label: str, before: str, after: str) -> FieldDiff:
        text = unified_diff(
            before,
            after,
            from_label=f"{name}/{label} (version {old_number})",
            to_label=f"{name}/{label} (version {new_number})",
        )
        return FieldDiff(changed=before != after, text=text)

    return VersionDiff(
        from_number=old_number,
        to_number=new_number,
        title=field("title", old.title, new.title),
        summary=field("summary", old.summary, new.summary),
        body=field("body", old.body, new.body),
    )
