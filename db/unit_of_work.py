"""The one mechanism that records every change: an outbox event and an audit entry.

Domain functions only change models and flush. After each flush of a session, this module
writes, in the same transaction, one ``Event`` (ids only, for live feeds) and one
``AuditEntry`` (who, through which credential, what changed) per inserted, updated or
deleted object. A tracked change without an actor is a programming error and fails the
flush, so nothing reaches the database unrecorded.

Writers take one transaction-scoped advisory lock before appending: event positions are
then assigned in commit order (a reader resuming from position N never misses a row that
commits later with a smaller number), and each organisation's audit hash chain is extended
by one writer at a time.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.orm import Session, UOWTransaction

from db import governance, identity, portfolio
from db.enums import CredentialKind
from db.models import (
    Alliance,
    ApiToken,
    AuditEntry,
    AuditHead,
    Base,
    Event,
    Membership,
    Organisation,
    User,
    utcnow,
)
from db.request_context import request_id

_APPEND_LOCK = 7_326_412


class Credentialed(Protocol):
    """Anything acting through a credential (``auth.principal.Principal`` is one); the
    storage layer needs only these four facts about it."""

    @property
    def organisation_id(self) -> uuid.UUID: ...
    @property
    def user_id(self) -> uuid.UUID | None: ...
    @property
    def credential_kind(self) -> CredentialKind: ...
    @property
    def credential_id(self) -> uuid.UUID | None: ...


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is changing things: a principal, or an operator acting for an organisation."""

    organisation_id: uuid.UUID
    user_id: uuid.UUID | None
    credential_kind: CredentialKind
    credential_id: uuid.UUID | None

    @classmethod
    def of(cls, principal: Credentialed) -> Actor:
        return cls(
            principal.organisation_id,
            principal.user_id,
            principal.credential_kind,
            principal.credential_id,
        )

    @classmethod
    def operator(cls, organisation_id: uuid.UUID) -> Actor:
        """The command line, acting for ``organisation_id``."""
        return cls(organisation_id, None, CredentialKind.OPERATOR, None)


@dataclass(frozen=True, slots=True)
class Tracked:
    object_type: str
    alliance_of: Callable[[Any], uuid.UUID | None]
    redacted: frozenset[str] = frozenset()


TRACKED: dict[type[Base], Tracked] = {
    Organisation: Tracked("Organisation", lambda _: None),
    User: Tracked("User", lambda _: None),
    Alliance: Tracked("Alliance", lambda alliance: alliance.id),
    Membership: Tracked("Membership", lambda membership: membership.alliance_id),
    ApiToken: Tracked("ApiToken", lambda _: None, redacted=frozenset({"token_hash"})),
    identity.IdentityProvider: Tracked(
        "IdentityProvider", lambda _: None, redacted=frozenset({"client_secret_encrypted"})
    ),
    identity.OAuthClient: Tracked(
        "OAuthClient", lambda _: None, redacted=frozenset({"secret_hash"})
    ),
    # revoked by an admin's change (deactivating a person); made by the sign-in endpoints
    identity.OAuthGrant: Tracked("OAuthGrant", lambda _: None),
    # bookkeeping of a create mutation; the object it created is recorded in its own right
    portfolio.IdempotencyKey: Tracked(
        "IdempotencyKey", lambda _: None, redacted=frozenset({"input_hash"})
    ),
    **{
        model: Tracked(model.__name__, lambda row: row.alliance_id)
        for model in (
            governance.GovernanceRules,
            governance.Committee,
            governance.Seat,
            governance.SeatRepresentative,
            governance.Meeting,
            governance.AgendaItem,
            governance.Attendance,
            governance.VisibilityGrant,
            governance.Minutes,
            governance.MinutesVersion,
            governance.Signature,
            governance.Decision,
            governance.Vote,
            governance.ActionItem,
            governance.Issue,
            governance.IssueMove,
            portfolio.Plan,
            portfolio.PlanVersion,
            portfolio.Milestone,
            portfolio.Contribution,
            portfolio.ContributionValuation,
            portfolio.ContributionStep,
            portfolio.IpAsset,
            portfolio.IpAssetOwner,
            portfolio.IpAccessRequest,
        )
    },
}
"""Every model a tenant can change. Adding a model means adding it here (a test checks)."""

_APPEND_ONLY = (Event, AuditEntry, AuditHead)


def act_as(session: Session | Any, actor: Actor) -> None:
    """Attribute every change this session flushes from now on to ``actor``."""
    target = session.sync_session if hasattr(session, "sync_session") else session
    target.info["actor"] = actor


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _change_of(obj: Base, verb: str, tracked: Tracked) -> dict[str, Any]:
    state = inspect(obj)
    changes: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if verb == "created":
            if key in state.dict:
                changes[key] = "[redacted]" if key in tracked.redacted else _plain(state.dict[key])
            continue
        history = state.attrs[key].history
        if verb == "updated" and not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if key in tracked.redacted:
            before, after = "[redacted]", "[redacted]"
        changes[key] = {"from": _plain(before), "to": _plain(after)}
    return changes


def chain_hash(previous: bytes | None, entry: dict[str, Any]) -> bytes:
    """An entry's link in its organisation's chain: SHA-256 of the previous link and the
    entry's canonical JSON (``audit_payload``)."""
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((previous or b"") + canonical.encode()).digest()


def audit_payload(row: dict[str, Any]) -> dict[str, Any]:
    """The fields an audit entry's hash covers (shared with the verifier)."""
    return {
        key: _plain(row[key])
        for key in (
            "organisation_id",
            "user_id",
            "credential_kind",
            "credential_id",
            "action",
            "object_type",
            "object_id",
            "alliance_id",
            "request_id",
            "changes",
            "occurred_at",
        )
    }


_audit_key: bytes | None = None


def use_audit_key(key: bytes) -> None:
    """The key this process signs audit entries and heads with (``Settings.audit_key``);
    set once at start by the app, the CLI and the tests."""
    global _audit_key
    _audit_key = key


def audit_key() -> bytes:
    if _audit_key is None:
        raise RuntimeError("no audit key: call use_audit_key() at start-up")
    return _audit_key


def entry_mac(key: bytes, entry_hash: bytes) -> bytes:
    """The signature of one audit entry: only the portal's key makes it."""
    return hmac.new(key, b"entry:" + entry_hash, hashlib.sha256).digest()


def head_signature(
    key: bytes, organisation_id: uuid.UUID, last_entry_id: int, last_hash: bytes, entries: int
) -> bytes:
    """The signature over an organisation's chain head: its newest entry and how many
    entries the chain has."""
    message = f"head:{organisation_id}:{last_entry_id}:{entries}:".encode() + last_hash
    return hmac.new(key, message, hashlib.sha256).digest()


def verify_chain(entries: list[dict[str, Any]]) -> int | None:
    """The id of the first entry whose hash does not follow from its predecessor, if any."""
    previous: bytes | None = None
    for entry in entries:
        if entry["previous_hash"] != previous or entry["entry_hash"] != chain_hash(
            previous, audit_payload(entry)
        ):
            return int(entry["id"])
        previous = entry["entry_hash"]
    return None


@event.listens_for(Session, "after_flush")
def _record_changes(session: Session, flush_context: UOWTransaction) -> None:
    changed: list[tuple[str, Base]] = [("created", obj) for obj in session.new]
    changed += [("updated", obj) for obj in session.dirty if session.is_modified(obj)]
    changed += [("deleted", obj) for obj in session.deleted]
    changed = [(verb, obj) for verb, obj in changed if not isinstance(obj, _APPEND_ONLY)]
    if not changed:
        return
    actor = session.info.get("actor")
    if not isinstance(actor, Actor):
        raise RuntimeError("a change was flushed without an actor: call act_as() first")

    records = []
    for verb, obj in sorted(changed, key=lambda item: (type(item[1]).__name__, str(item[1]))):
        tracked = TRACKED.get(type(obj))
        if tracked is None:
            raise RuntimeError(f"{type(obj).__name__} changes are not tracked by the unit of work")
        records.append(
            Change(
                object_type=tracked.object_type,
                object_id=inspect(obj).mapper.primary_key_from_instance(obj)[0],
                verb=verb,
                changes=_change_of(obj, verb, tracked),
                alliance_id=tracked.alliance_of(obj),
            )
        )
    _append(session, actor, records)


@dataclass(frozen=True, slots=True)
class Change:
    """One change to record: what object, what was done, which fields moved how."""

    object_type: str
    object_id: uuid.UUID
    verb: str
    changes: dict[str, Any]
    alliance_id: uuid.UUID | None = None


def record_changes(session: Session, changes: list[Change]) -> None:
    """Record changes written without the ORM (a raw upsert), as the flush listener records
    the ORM's: one event and one signed audit entry each, under the session's actor."""
    actor = session.info.get("actor")
    if not isinstance(actor, Actor):
        raise RuntimeError("a change was recorded without an actor: call act_as() first")
    if changes:
        _append(session, actor, changes)


def _append(session: Session, actor: Actor, records: list[Change]) -> None:
    now = utcnow()
    req = request_id.get()
    events: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for record in records:
        action = f"{record.object_type.lower()}.{record.verb}"
        changes = record.changes
        ids = {k: v for k, v in changes.items() if k.endswith("_id") and not isinstance(v, dict)}
        events.append(
            {
                "alliance_id": record.alliance_id,
                "organisation_id": actor.organisation_id,
                "type": action,
                "object_type": record.object_type,
                "object_id": record.object_id,
                "data": {**ids, "fields": sorted(changes)},
                "request_id": req,
                "occurred_at": now,
            }
        )
        audits.append(
            {
                "organisation_id": actor.organisation_id,
                "user_id": actor.user_id,
                "credential_kind": actor.credential_kind,
                "credential_id": actor.credential_id,
                "action": action,
                "object_type": record.object_type,
                "object_id": record.object_id,
                "alliance_id": record.alliance_id,
                "request_id": req,
                "changes": changes,
                "occurred_at": now,
            }
        )

    connection = session.connection()
    connection.execute(select(func.pg_advisory_xact_lock(_APPEND_LOCK)))
    connection.execute(insert(Event).values(events))
    previous = connection.execute(
        select(AuditEntry.entry_hash)
        .where(AuditEntry.organisation_id == actor.organisation_id)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    key = audit_key()
    for audit in audits:
        audit["previous_hash"] = previous
        audit["entry_hash"] = previous = chain_hash(previous, audit_payload(audit))
        audit["entry_mac"] = entry_mac(key, audit["entry_hash"])
    written: list[int] = list(
        connection.execute(insert(AuditEntry).values(audits).returning(AuditEntry.id)).scalars()
    )
    assert previous is not None  # at least one entry was written
    _move_head(connection, key, actor.organisation_id, max(written), previous, len(audits))


def _move_head(
    connection: Any,
    key: bytes,
    organisation_id: uuid.UUID,
    last_entry_id: int,
    last_hash: bytes,
    added: int,
) -> None:
    """Point the organisation's signed head at its newest entry (under the append lock)."""
    before = connection.execute(
        select(AuditHead.entries).where(AuditHead.organisation_id == organisation_id)
    ).scalar_one_or_none()
    if before is None:  # the first head: count what the chain held before anchors existed
        before = connection.execute(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.organisation_id == organisation_id, AuditEntry.id < last_entry_id)
        ).scalar_one() - (added - 1)
    entries = before + added
    head = {
        "organisation_id": organisation_id,
        "last_entry_id": last_entry_id,
        "last_hash": last_hash,
        "entries": entries,
        "signature": head_signature(key, organisation_id, last_entry_id, last_hash, entries),
    }
    statement = upsert(AuditHead).values(head)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[AuditHead.organisation_id],
            set_={
                column: statement.excluded[column] for column in head if column != "organisation_id"
            },
        )
    )
