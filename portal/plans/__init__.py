"""Research plans: the domain rules.

A plan's content (title, summary, body) lives in immutable ``PlanVersion`` rows; the plan
itself carries its status, its visibility, the number of its current version (``version``,
also the optimistic-concurrency token) and the last approval. The application role may
insert plan versions but never update or delete them: row-level security grants it
SELECT and INSERT only.

Who may do what:

- **read**: organisations in the plan's audience (SPEC §4): every current member for
  ``ALLIANCE``, seat holders of the named committee for ``COMMITTEE``, the listed member
  organisations for ``ORGANISATIONS``; the owner organisation always. Needs ``plans:read``.
- **create**: any current member organisation, with ``plans:write``; it becomes the owner.
- **revise, propose, activate, complete, cancel, add and update milestones**: the owner
  organisation only, with ``plans:write`` (FORBIDDEN for other organisations that can see
  the plan, NOT_FOUND for those that cannot).
- **set a milestone's status**: the owner organisation or the milestone's responsible
  organisation, with ``plans:write``.
- **approve**: nobody directly. A plan becomes APPROVED only when a committee decision
  whose subject is one of its versions closes APPROVED (:func:`approve_by_decision`), and
  only if that version is still the plan's current one.

The life cycle: DRAFT → PROPOSED → APPROVED → ACTIVE → COMPLETED, and CANCELLED from any
state that is not final. A revision creates version n+1 and is allowed while the plan is
DRAFT, PROPOSED or APPROVED; it always puts the plan back to DRAFT, because what was
proposed or approved is a specific version, not whatever the plan says later. The owner
proposes the new version again; ``approved_version`` keeps naming the last version a
committee approved (so readers can diff it against the current one) until a new approval
replaces it. ACTIVE plans are no longer revised (their milestones still change); finished
plans (COMPLETED, CANCELLED) and their milestones never change again. Cancelling a plan
cancels its open milestones; a plan completes only once none of its milestones is open.

State errors are ``BadInput``; ``Conflict`` is kept for a stale ``version`` (and for a
decision about a version that is no longer current).
"""

from portal.kernel.audience import Audience
from portal.kernel.checks import today_of
from portal.plans.approval import approve_by_decision, check_plan_version_decidable
from portal.plans.milestones import (
    add_milestone,
    get_milestone,
    set_milestone_status,
    update_milestone,
)
from portal.plans.queries import compare, current_version, get_plan, get_version, milestones_query
from portal.plans.rules import (
    SUBJECT_TYPE,
    Content,
    FieldDiff,
    MilestoneChange,
    VersionDiff,
    diff_versions,
    is_overdue,
    unified_diff,
)
from portal.plans.service import (
    activate_plan,
    cancel_plan,
    complete_plan,
    create_plan,
    propose_plan,
    revise_plan,
)

__all__ = [
    "SUBJECT_TYPE",
    "Audience",
    "Content",
    "FieldDiff",
    "MilestoneChange",
    "VersionDiff",
    "activate_plan",
    "add_milestone",
    "approve_by_decision",
    "cancel_plan",
    "check_plan_version_decidable",
    "compare",
    "complete_plan",
    "create_plan",
    "current_version",
    "diff_versions",
    "get_milestone",
    "get_plan",
    "get_version",
    "is_overdue",
    "milestones_query",
    "propose_plan",
    "revise_plan",
    "set_milestone_status",
    "today_of",
    "unified_diff",
    "update_milestone",
]
