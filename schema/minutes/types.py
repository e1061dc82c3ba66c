"""Minutes of meetings: the types, the queries and the mutations (rules in portal.minutes)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from auth.scopes import Scope
from db import governance as db
from schema.context import Info
from schema.kernel import sql
from schema.kernel.enums import CredentialKind, Visibility
from schema.kernel.nodes import AreaNode, load_one
from schema.minutes.enums import MinutesStatus, SignatureMeaning
from schema.organisations.types import Organisation, load_audience, load_organisation

if TYPE_CHECKING:
    from schema.loaders import Loaders
    from schema.meetings.types import Meeting


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


CURRENT_BODY = sql.column(
    "(SELECT v.body FROM public.minutes_versions v"
    " WHERE v.minutes_id = {t}.id AND v.version = {t}.version)"
)
"""``Minutes.body`` as SQL: the text of the current version."""


@strawberry.type(
    description="The minutes of a meeting: drafted and edited by the committee's secretary, "
    "circulated to the seat holders, then approved by the chair or tacitly when nobody "
    "objects within the alliance's objection period. Visible to their audience only "
    "(by default the seat holders of the meeting's committee); needs governance:read."
)
class Minutes(AreaNode):
    db_id: relay.NodeID[str]
    meeting_id: strawberry.Private[uuid.UUID]
    status: MinutesStatus = strawberry.field(
        metadata=sql.column("{t}.status", enum=MinutesStatus),
        description="Draft, circulated or approved.",
    )
    version: int = strawberry.field(
        metadata=sql.column("{t}.version", "int"),
        description="Number of the current version; send it back with every change "
        "(editMinutes, circulateMinutes, objectToMinutes, approveMinutes).",
    )
    visibility: Visibility = strawberry.field(
        metadata=sql.column("{t}.visibility", enum=Visibility),
        description="Who may see the minutes: COMMITTEE (the seat holders of the meeting's "
        "committee, the default), ALLIANCE or ORGANISATIONS (see audience).",
    )
    circulated_at: dt.datetime | None = strawberry.field(
        metadata=sql.column("{t}.circulated_at", "datetime"),
        description="When the minutes were last circulated; null while they are a draft.",
    )
    objection_deadline: dt.datetime | None = strawberry.field(
        metadata=sql.column("{t}.objection_deadline", "datetime"),
        description="Until when seat holders may object to circulated minutes; after it "
        "the server approves them tacitly. Null unless circulated or approved.",
    )
    approved_at: dt.datetime | None = strawberry.field(
        metadata=sql.column("{t}.approved_at", "datetime"),
        description="When they were approved; null until then.",
    )
    created_at: dt.datetime = strawberry.field(
        metadata=sql.column("{t}.created_at", "datetime"),
        description="When they were first drafted.",
    )

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

    @strawberry.field(metadata=CURRENT_BODY, description="The text of the current version.")
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

    sql_table = sql.Table("minutes", sql.visible_to_audience())

    read_scope = Scope.GOVERNANCE_READ

    @classmethod
    def loader(cls, loaders: Loaders) -> DataLoader[uuid.UUID, Any]:
        return loaders.minutes.by_id


NODE_TYPES: dict[str, type[relay.Node]] = {"Minutes": Minutes}
