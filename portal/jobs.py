"""The server's scheduled governance procedures, run inside every server process: tacit
approval of minutes whose objection period has passed, escalation of issues left unanswered
too long, and the closing of written procedures at their deadline.

Every process runs the loop; they cannot step on each other because each job handles one
item per transaction, locks the item's row and re-checks its state first, so an item
already handled by another process is skipped. Jobs act through
``portal.kernel.system.acting_for``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from db.models import utcnow
from portal.decisions.jobs import close_due_written_decisions
from portal.issues.jobs import escalate_overdue_issues
from portal.kernel.system import Job, Sessions
from portal.minutes.jobs import approve_due_minutes

log = logging.getLogger("portal.jobs")

JOBS: tuple[Job, ...] = (approve_due_minutes, escalate_overdue_issues, close_due_written_decisions)


async def run_due_jobs(sessions: Sessions, now: dt.datetime) -> int:
    """Run every job once for ``now``; a failing job is logged and does not stop the rest."""
    handled = 0
    for job in JOBS:
        try:
            handled += await job(sessions, now)
        except Exception:
            log.exception("job %s failed", job.__name__)
    return handled


async def run_forever(sessions: Sessions, interval: float) -> None:
    """The server's job loop, started by the app's lifespan."""
    while True:
        await run_due_jobs(sessions, utcnow())
        await asyncio.sleep(interval)
