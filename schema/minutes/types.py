"""Minutes of meetings: the types, the queries and the mutations (rules in portal.minutes)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy import Select, false
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth import policy
from auth.scopes import Scope
from db import governance as db
from db.enums import MinutesStatus, SignatureMeaning
from db.models import utcnow
from portal.kernel.errors import DomainError, ErrorCode
from portal.minutes import service as domain
from schema.context import Info
from schema.kernel.enums import CredentialKind, Visibility
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.nodes import AreaNode, load_one
from schema.kernel.pagination import Connection, Ordering, PageRequest, paginate
from schema.kernel.scopes import Needs
from schema.organisations.types import Organisation, load_audience, load_organisation

if TYPE_CHECKING:
    from schema.loaders import Loaders
    from schema.meetings.types import Meeting

strawberry.enum(
    MinutesStatus,
    name="MinutesStatus",
    description="Where minutes stand: DRAFT (the secretary edits), CIRCULATED (seat holders "
    "may object until the deadline) or APPROVED (final and immutable).",
)
strawberry.enum(
    SignatureMeaning,
    name="SignatureMeaning",
    description="What a signature on minutes means: CIRCULATED by the secretary, OBJECTED "
    "by a seat holder, APPROVED by the chair, or APPROVED_TACITLY by the server when the "
    "objection period passed without an objection.",
)

MINUTES_BY_CREATION = Ordering("minutes_created", (db.Minutes.created_at, db.Minutes.id))
MINUTES_BY_CREATION_DESC = Ordering(
    "minutes_created_desc", (db.Minutes.created_at, db.Minutes.id), descending=True
)


# Loaders: every nested list costs one statement per level, whatever its length.


# Types


@strawberry.type(
    description="One text of a set of minutes. Versions are immutable and all of them stay "
    "readable, also after approval."
)
class MinutesVersion:
    organisation_id: strawberry.Private[uuid.UUID]
    number: int = strawberry.field(description="The version's number, from 1.")
    body: str = strawberry.field(description="The text of the minutes in this version.")
    user_id: strawberry.ID | None = strawberry.field(
        description="The user behind the credential that wrote it, if a person created it."
    )
    created_at: dt.datetime = strawberry.field(description="When this version was written.")

    @classmethod
    def from_model(cls, row: db.MinutesVersion) -> MinutesVersion:
        return cls(
            organisation_id=row.organisation_id,
            number=row.version,
            body=row.body,
            user_id=strawberry.ID(str(row.user_id)) if row.user_id else None,
            created_at=row.created_at,
        )

    @strawberry.field(description="The organisation that wrote this version (the secretary's).")
    async def organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)


@strawberry.type(
    description="An e-signature on a version of minutes: who signed, when, through which "
    "credential, and what the signature means. Signatures are never changed or removed."
)
class Signature:
    organisation_id: strawberry.Private[uuid.UUID]
    version: int = strawberry.field(description="The version of the minutes signed.")
    meaning: SignatureMeaning = strawberry.field(description="What the signature means.")
    user_id: strawberry.ID | None = strawberry.field(
        description="The user behind the credential, if a person created it; null for the "
        "server's own signatures."
    )
    credential_kind: CredentialKind = strawberry.field(
        description="The kind of credential the signature came through."
    )
    credential_id: strawberry.ID | None = strawberry.field(
        description="The credential's own id (e.g. the API token's), for the audit trail; "
        "null for the server."
    )
    reason: str = strawberry.field(
        description="The objection's reason, the chair's note on approval, or why the "
        "server approved; empty when none was given."
    )
    signed_at: dt.datetime = strawberry.field(description="When it was signed.")

    @classmethod
    def from_model(cls, row: db.Signature) -> Signature:
        return cls(
            organisation_id=row.organisation_id,
            version=row.version,
            meaning=row.meaning,
            user_id=strawberry.ID(str(row.user_id)) if row.user_id else None,
            credential_kind=row.credential_kind,
            credential_id=strawberry.ID(str(row.credential_id)) if row.credential_id else None,
            reason=row.reason,
            signed_at=row.signed_at,
        )

    @strawberry.field(description="The organisation that signed.")
    async def organisation(self, info: Info) -> Organisation:
        return await load_organisation(info, self.organisation_id)


@strawberry.type(
    description="The minutes of a meeting: drafted and edited by the committee's secretary, "
    "circulated to the seat holders, then approved by the chair or tacitly when nobody "
    "objects within the alliance's objection period. Visible to their audience only "
    "(by default the seat holders of the meeting's committee); needs governance:read."
)
class Minutes(AreaNode):
    db_id: relay.NodeID[str]
    meeting_id: strawberry.Private[uuid.UUID]
    status: MinutesStatus = strawberry.field(description="Draft, circulated or approved.")
    version: int = strawberry.field(
        description="Number of the current version; send it back with every change "
        "(editMinutes, circulateMinutes, objectToMinutes, approveMinutes)."
    )
    visibility: Visibility = strawberry.field(
        description="Who may see the minutes: COMMITTEE (the seat holders of the meeting's "
        "committee, the default), ALLIANCE or ORGANISATIONS (see audience)."
    )
    circulated_at: dt.datetime | None = strawberry.field(
        description="When the minutes were last circulated; null while they are a draft."
    )
    objection_deadline: dt.datetime | None = strawberry.field(
        description="Until when seat holders may object to circulated minutes; after it "
        "the server approves them tacitly. Null unless circulated or approved."
    )
    approved_at: dt.datetime | None = strawberry.field(
        description="When they were approved; null until then."
    )
    created_at: dt.datetime = strawberry.field(description="When they were first drafted.")

    @classmethod
    def from_model(cls, row: db.Minutes) -> Minutes:
        return cls(
            db_id=str(row.id),
            meeting_id=row.meeting_id,
            status=row.status,
            version=row.version,
            visibility=row.visibility,
            circulated_at=row.circulated_at,
            objection_deadline=row.objection_deadline,
            approved_at=row.approved_at,
            created_at=row.created_at,
        )

    @property
    def minutes_id(self) -> uuid.UUID:
        return uuid.UUID(self.db_id)

    @strawberry.field(description="The text of the current version.")
    async def body(self, info: Info) -> str:
        row = await info.context.loaders.minutes.version_by_number.load(
            (self.minutes_id, self.version)
        )
        if row is None:
            raise LookupError(f"minutes {self.db_id} lack their version {self.version}")
        return str(row.body)

    @strawberry.field(
        description="With visibility ORGANISATIONS, the organisations that may see the "
        "minutes; null with any other visibility."
    )
    async def audience(self, info: Info) -> list[Organisation] | None:
        return await load_audience(
            info, info.context.loaders.minutes.audience, self.minutes_id, self.visibility
        )

    @strawberry.field(description="The meeting these are the minutes of.")
    async def meeting(
        self, info: Info
    ) -> Annotated[Meeting, strawberry.lazy("schema.meetings.types")] | None:
        return await load_one(info, info.context.loaders.meetings.by_id, self.meeting_id)

    @strawberry.field(description="Every version, oldest first.")
    async def versions(self, info: Info) -> list[MinutesVersion]:
        rows = await info.context.loaders.minutes.versions_of_minutes.load(self.minutes_id)
        return [MinutesVersion.from_model(row) for row in rows]

    @strawberry.field(description="One version by its number; null when there is no such one.")
    async def minutes_version(
        self,
        info: Info,
        number: Annotated[int, strawberry.argument(description="The version's number.")],
    ) -> MinutesVersion | None:
        row = await info.context.loaders.minutes.version_by_number.load((self.minutes_id, number))
        return MinutesVersion.from_model(row) if row else None

    @strawberry.field(
        description="The signature trail, oldest first: circulations, objections and the approval."
    )
    async def signatures(self, info: Info) -> list[Signature]:
        rows = await info.context.loaders.minutes.signatures_of_minutes.load(self.minutes_id)
        return [Signature.from_model(row) for row in rows]

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.minutes.by_id


async def load_minutes_of_meeting(info: Info, meeting_id: uuid.UUID) -> Minutes | None:
    """The minutes of a meeting, or None when it has none the caller may see (or the
    credential lacks governance:read). Batched: one statement for many meetings."""
    if not info.context.principal.has(Scope.GOVERNANCE_READ):
        return None
    rows = await info.context.loaders.minutes.of_meeting.load(meeting_id)
    return Minutes.from_model(rows[0]) if rows else None


# Queries


@strawberry.enum(description="Orders of a list of minutes.")
class MinutesOrder(enum.Enum):
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "created_at_desc"


MINUTES_ORDERINGS = {
    MinutesOrder.CREATED_AT: MINUTES_BY_CREATION,
    MinutesOrder.CREATED_AT_DESC: MINUTES_BY_CREATION_DESC,
}


@strawberry.input(description="Narrow a list of minutes; all given conditions apply.")
class MinutesFilter:
    alliance: strawberry.ID | None = strawberry.field(
        default=None, description="Only minutes of this alliance."
    )
    committee: strawberry.ID | None = strawberry.field(
        default=None, description="Only minutes of this committee's meetings."
    )
    meeting: strawberry.ID | None = strawberry.field(
        default=None, description="Only the minutes of this meeting."
    )
    statuses: list[MinutesStatus] | None = strawberry.field(
        default=None, description="Only minutes in these states."
    )
    meetings_from: dt.datetime | None = strawberry.field(
        default=None, description="Only minutes of meetings starting at or after this moment."
    )
    meetings_before: dt.datetime | None = strawberry.field(
        default=None, description="Only minutes of meetings starting before this moment."
    )
    objection_deadline_before: dt.datetime | None = strawberry.field(
        default=None,
        description="Only minutes whose objection period ends before this moment (circulated "
        "ones, and approved ones that were circulated).",
    )


def _filtered(info: Info, chosen: MinutesFilter) -> Select[Any]:
    principal = info.context.principal
    query = policy.visible_minutes(principal)
    for value, type_name, field, column in (
        (chosen.alliance, "Alliance", "alliance", db.Minutes.alliance_id),
        (chosen.committee, "Committee", "committee", db.Minutes.committee_id),
        (chosen.meeting, "Meeting", "meeting", db.Minutes.meeting_id),
    ):
        if value is not None:
            try:
                query = query.where(column == expect_global_id(value, type_name, field))
            except DomainError as error:
                if error.code is not ErrorCode.NOT_FOUND:
                    raise
                query = query.where(false())  # an ID of another type names nothing
    if chosen.statuses:
        query = query.where(db.Minutes.status.in_(chosen.statuses))
    if chosen.meetings_from is not None or chosen.meetings_before is not None:
        meetings = policy.alliance_records(principal, db.Meeting).with_only_columns(db.Meeting.id)
        if chosen.meetings_from is not None:
            meetings = meetings.where(db.Meeting.starts_at >= chosen.meetings_from)
        if chosen.meetings_before is not None:
            meetings = meetings.where(db.Meeting.starts_at < chosen.meetings_before)
        query = query.where(db.Minutes.meeting_id.in_(meetings))
    if chosen.objection_deadline_before is not None:
        query = query.where(db.Minutes.objection_deadline < chosen.objection_deadline_before)
    return query


async def resolve_minutes(
    info: Info,
    first: Annotated[int | None, strawberry.argument(description="Page size (max 100).")] = None,
    after: Annotated[str | None, strawberry.argument(description="Cursor to start after.")] = None,
    last: Annotated[int | None, strawberry.argument(description="Page size from the end.")] = None,
    before: Annotated[str | None, strawberry.argument(description="Cursor to end before.")] = None,
    filter: Annotated[
        MinutesFilter | None, strawberry.argument(description="Which minutes.")
    ] = None,
    order_by: Annotated[
        MinutesOrder, strawberry.argument(description="Sort order (newest first by default).")
    ] = MinutesOrder.CREATED_AT_DESC,
) -> Connection[Minutes]:
    """Minutes the caller's organisation may see, across its alliances. Needs
    governance:read."""
    page = PageRequest(first=first, after=after, last=last, before=before)
    query = _filtered(info, filter or MinutesFilter())
    return await paginate(
        info.context.session, query, MINUTES_ORDERINGS[order_by], page, Minutes.from_model
    )


async def resolve_minutes_of_meeting(
    info: Info,
    meeting: Annotated[strawberry.ID, strawberry.argument(description="The meeting's ID.")],
) -> Minutes | None:
    """The minutes of a meeting; null when it has none or the caller may not see them.
    Needs governance:read."""
    try:
        meeting_id = expect_global_id(meeting, "Meeting", "meeting")
    except DomainError as error:
        if error.code is ErrorCode.NOT_FOUND:
            return None
        raise
    return await load_minutes_of_meeting(info, meeting_id)


@strawberry.type
class Queries:
    minutes: Connection[Minutes] = strawberry.field(
        resolver=resolve_minutes,
        description="Minutes your organisation may see, filtered by alliance, committee, "
        "meeting, state, meeting dates or objection deadline. Needs governance:read.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )
    minutes_of_meeting: Minutes | None = strawberry.field(
        resolver=resolve_minutes_of_meeting,
        description="The minutes of one meeting, if it has any you may see.",
        extensions=[Needs(Scope.GOVERNANCE_READ)],
    )


# Mutations

SECRETARY_RULE = (
    "Only the secretary of the meeting's committee, with governance:write (FORBIDDEN for "
    "anyone else who can see the minutes; NOT_FOUND for anyone who cannot)."
)


@strawberry.input(
    description="Draft the minutes of a meeting. "
    + SECRETARY_RULE
    + " One set of minutes per meeting (CONFLICT for a second); not for a cancelled meeting "
    "(BAD_USER_INPUT). The draft is version 1."
)
class DraftMinutesInput:
    meeting: strawberry.ID = strawberry.field(description="The meeting's ID.")
    body: str = strawberry.field(description="The text (not blank, at most 200,000 characters).")
    visibility: Visibility = strawberry.field(
        default=Visibility.COMMITTEE,
        description="Who may see them: COMMITTEE (the seat holders of the meeting's "
        "committee, the default), ALLIANCE (every member) or ORGANISATIONS (audience).",
    )
    audience: list[str] | None = strawberry.field(
        default=None,
        description="With visibility ORGANISATIONS only: slugs of the current member "
        "organisations that may see the minutes. Your own organisation is always included.",
    )


@strawberry.input(
    description="Replace the text of draft minutes with a new version; older versions stay "
    "readable. "
    + SECRETARY_RULE
    + " Drafts only: circulated minutes must first be reopened by an objection, approved "
    "minutes never change (both BAD_USER_INPUT)."
)
class EditMinutesInput:
    minutes: strawberry.ID = strawberry.field(description="The minutes' ID.")
    version: int = strawberry.field(
        description="The version you edited; if it is no longer current you get CONFLICT."
    )
    body: str = strawberry.field(description="The new text (not blank).")


@strawberry.input(
    description="Circulate draft minutes to the committee's seat holders; the alliance's "
    "objection period starts (objectionDeadline). "
    + SECRETARY_RULE
    + " Drafts only (BAD_USER_INPUT otherwise). Signed CIRCULATED."
)
class CirculateMinutesInput:
    minutes: strawberry.ID = strawberry.field(description="The minutes' ID.")
    version: int = strawberry.field(
        description="The version you circulate; if it is no longer current you get CONFLICT."
    )


@strawberry.input(
    description="Object to circulated minutes: they go back to draft for the secretary to "
    "revise and circulate again. Any organisation holding a seat on the committee "
    "(observers included), with governance:write (FORBIDDEN for members without a seat "
    "who can see the minutes). Only while circulated and before the objection deadline "
    "(BAD_USER_INPUT otherwise). Signed OBJECTED with the reason."
)
class ObjectToMinutesInput:
    minutes: strawberry.ID = strawberry.field(description="The minutes' ID.")
    version: int = strawberry.field(
        description="The version you object to; if it is no longer current you get CONFLICT."
    )
    reason: str = strawberry.field(description="Why (not blank, at most 5,000 characters).")


@strawberry.input(
    description="Approve circulated minutes; from then on they never change. Only the "
    "committee's chair, with governance:write (FORBIDDEN for anyone else who can see "
    "them). Only circulated minutes (approving a draft is BAD_USER_INPUT); the chair need "
    "not wait for the objection deadline. Signed APPROVED. Minutes nobody objects to are "
    "also approved tacitly by the server once the deadline passes (APPROVED_TACITLY)."
)
class ApproveMinutesInput:
    minutes: strawberry.ID = strawberry.field(description="The minutes' ID.")
    version: int = strawberry.field(
        description="The version you approve; if it is no longer current you get CONFLICT."
    )
    note: str = strawberry.field(
        default="", description="An optional statement recorded with the signature."
    )


@strawberry.type(description="Result of a change to minutes.")
class MinutesPayload:
    minutes: Minutes | None = strawberry.field(description="The minutes as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


async def _payload(info: Info, action: Callable[[], Awaitable[db.Minutes]]) -> MinutesPayload:
    row, errors = await guarded(info.context.session, action)
    return MinutesPayload(minutes=Minutes.from_model(row) if row else None, user_errors=errors)


def _minutes_id(value: strawberry.ID) -> uuid.UUID:
    return expect_global_id(value, "Minutes", "minutes")


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Draft the minutes of a meeting (the committee's secretary).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def draft_minutes(
        self,
        info: Info,
        input: Annotated[DraftMinutesInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MinutesPayload:
        ctx = info.context

        async def draft() -> db.Minutes:
            meeting_id = expect_global_id(input.meeting, "Meeting", "meeting")
            return await domain.draft_minutes(
                ctx.session,
                ctx.principal,
                meeting_id,
                body=input.body,
                audience=domain.Audience(input.visibility, tuple(input.audience or ())),
                now=utcnow(),
            )

        return await _payload(info, draft)

    @strawberry.mutation(
        description="Edit draft minutes with optimistic concurrency (the secretary).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def edit_minutes(
        self,
        info: Info,
        input: Annotated[EditMinutesInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MinutesPayload:
        ctx = info.context

        async def edit() -> db.Minutes:
            return await domain.edit_minutes(
                ctx.session,
                ctx.principal,
                _minutes_id(input.minutes),
                expected_version=input.version,
                body=input.body,
                now=utcnow(),
            )

        return await _payload(info, edit)

    @strawberry.mutation(
        description="Circulate draft minutes to the seat holders (the secretary).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def circulate_minutes(
        self,
        info: Info,
        input: Annotated[CirculateMinutesInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MinutesPayload:
        ctx = info.context

        async def circulate() -> db.Minutes:
            return await domain.circulate_minutes(
                ctx.session,
                ctx.principal,
                _minutes_id(input.minutes),
                expected_version=input.version,
                now=utcnow(),
            )

        return await _payload(info, circulate)

    @strawberry.mutation(
        description="Object to circulated minutes, reopening them (any seat holder).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def object_to_minutes(
        self,
        info: Info,
        input: Annotated[ObjectToMinutesInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MinutesPayload:
        ctx = info.context

        async def object_() -> db.Minutes:
            return await domain.object_to_minutes(
                ctx.session,
                ctx.principal,
                _minutes_id(input.minutes),
                expected_version=input.version,
                reason=input.reason,
                now=utcnow(),
            )

        return await _payload(info, object_)

    @strawberry.mutation(
        description="Approve circulated minutes (the committee's chair).",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def approve_minutes(
        self,
        info: Info,
        input: Annotated[ApproveMinutesInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> MinutesPayload:
        ctx = info.context

        async def approve() -> db.Minutes:
            return await domain.approve_minutes(
                ctx.session,
                ctx.principal,
                _minutes_id(input.minutes),
                expected_version=input.version,
                note=input.note,
                now=utcnow(),
            )

        return await _payload(info, approve)


NODE_TYPES: dict[str, type[relay.Node]] = {"Minutes": Minutes}
