"""The domain's closed vocabularies, shared by models, policy and schema."""

from __future__ import annotations

import enum


class OrganisationKind(enum.StrEnum):
    PHARMA = "pharma"
    BIOTECH = "biotech"
    ACADEMIC = "academic"
    HOSPITAL = "hospital"
    CRO = "cro"
    FOUNDATION = "foundation"
    OTHER = "other"


class UserRole(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class UserStatus(enum.StrEnum):
    INVITED = "invited"
    """Invited by an admin, not signed in yet: no identity is bound to the person."""
    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    """May not sign in; every credential the person held or made was revoked."""


class AllianceStatus(enum.StrEnum):
    FORMING = "forming"
    ACTIVE = "active"
    CLOSING = "closing"
    CLOSED = "closed"


class MembershipRole(enum.StrEnum):
    LEAD = "lead"
    PARTNER = "partner"
    ASSOCIATE = "associate"
    OBSERVER = "observer"


class CredentialKind(enum.StrEnum):
    API_TOKEN = "api_token"  # noqa: S105 - a kind of credential, not a secret
    OPERATOR = "operator"
    ACCESS_TOKEN = "access_token"  # noqa: S105 - a kind of credential, not a secret
    """The portal's own OAuth access token: a person signed in through a partner frontend
    (the credential id is the grant, which refreshing keeps)."""
    PROVIDER_TOKEN = "provider_token"  # noqa: S105 - a kind of credential, not a secret
    """An access token of the person's own organisation's identity provider, accepted
    where the organisation opted in."""
    SYSTEM = "system"
    """The server itself: scheduled jobs such as tacit approval and auto-escalation."""


class CommitteeTier(enum.StrEnum):
    STRATEGIC = "strategic"
    TACTICAL = "tactical"
    OPERATIONAL = "operational"

    @property
    def rank(self) -> int:
        """Higher tiers outrank lower ones: escalation goes to a higher rank."""
        return {"strategic": 3, "tactical": 2, "operational": 1}[self.value]


class SeatRole(enum.StrEnum):
    CHAIR = "chair"
    SECRETARY = "secretary"
    MEMBER = "member"
    OBSERVER = "observer"


class Visibility(enum.StrEnum):
    ALLIANCE = "alliance"
    COMMITTEE = "committee"
    ORGANISATIONS = "organisations"


class MeetingKind(enum.StrEnum):
    ORDINARY = "ordinary"
    EXTRAORDINARY = "extraordinary"


class MeetingStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class AgendaItemKind(enum.StrEnum):
    INFORMATION = "information"
    DISCUSSION = "discussion"
    DECISION = "decision"


class MinutesStatus(enum.StrEnum):
    DRAFT = "draft"
    CIRCULATED = "circulated"
    APPROVED = "approved"


class SignatureMeaning(enum.StrEnum):
    CIRCULATED = "circulated"
    OBJECTED = "objected"
    APPROVED = "approved"
    APPROVED_TACITLY = "approved_tacitly"


class DecisionProcedure(enum.StrEnum):
    MEETING = "meeting"
    WRITTEN = "written"


class DecisionStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class DecisionOutcome(enum.StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    DEFERRED = "deferred"


class VoteChoice(enum.StrEnum):
    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"


class MajorityRule(enum.StrEnum):
    SIMPLE = "simple"
    """More votes for than against."""
    QUALIFIED = "qualified"
    """At least two thirds of the votes cast (abstentions not cast) are for."""


class ActionItemStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class IssueSeverity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class IssueStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class IssueMoveKind(enum.StrEnum):
    RAISED = "raised"
    ESCALATED = "escalated"
    AUTO_ESCALATED = "auto_escalated"
    RESOLVED = "resolved"


class PlanStatus(enum.StrEnum):
    DRAFT = "draft"
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class MilestoneKind(enum.StrEnum):
    MILESTONE = "milestone"
    DELIVERABLE = "deliverable"


class MilestoneStatus(enum.StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class ContributionKind(enum.StrEnum):
    PERSONNEL = "personnel"
    CASH = "cash"
    KNOWLEDGE = "knowledge"
    IP = "ip"
    EQUIPMENT = "equipment"


class ContributionStatus(enum.StrEnum):
    PLEDGED = "pledged"
    COMMITTED = "committed"
    DELIVERED = "delivered"
    WITHDRAWN = "withdrawn"


class IpKind(enum.StrEnum):
    BACKGROUND = "background"
    FOREGROUND = "foreground"


class AccessRequestStatus(enum.StrEnum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class DocumentKind(enum.StrEnum):
    TRUSTED = "trusted"
    """Registered by the organisation's admin (a client's manifest): trusted-only
    credentials may run it."""
    AUTOMATIC = "automatic"
    """Persisted by any credential of the organisation through Apollo's automatic persisted
    queries: a cache that saves bandwidth, never trusted."""
