"""Persisted documents: a request may name a GraphQL document by the SHA-256 of its text
instead of sending it, in either of the two protocols clients speak.

- **Apollo's automatic persisted queries (APQ):** ``extensions.persistedQuery`` is
  ``{"version": 1, "sha256Hash": "<hex>"}``. Without ``query``, a known hash runs its
  document and an unknown one answers ``PersistedQueryNotFound``
  (``PERSISTED_QUERY_NOT_FOUND``, HTTP 200 as Apollo Server answers it, so the client sends
  the query with its hash next); with ``query``, the hash must be the query's, and once the
  operation ran without errors the document is kept as *automatic*.
- **GraphQL over HTTP's persisted documents:** ``documentId: "sha256:<hex>"`` runs a
  persisted document; nothing is registered through it.

*Trusted* documents are registered by the organisation's admin, a client's manifest at a
time (graphql-codegen's ``{hash: document}``), each hash checked against its document. A
credential made for trusted documents only runs nothing else: no free-form query and no
automatic document, which any credential of the organisation could have stored.

Documents are kept per organisation in PostgreSQL (``persisted_documents``, under row-level
security), so every server process sees one as soon as it is committed. They are written
with upserts outside the unit of work: the automatic ones are a cache, like the cost budget.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    ExecutableDefinitionNode,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    parse,
)
from sqlalchemy import func, select, text

from auth import policy
from auth.principal import Principal
from auth.scopes import Scope
from db.enums import DocumentKind
from db.persisted import PersistedDocument
from db.session import LockedSession
from db.unit_of_work import Change, record_changes
from portal.kernel.checks import checked_text
from portal.kernel.errors import BadInput, ErrorCode

log = logging.getLogger("portal.persisted")

APQ_VERSION = 1
"""The one version of Apollo's persisted-query extension there is."""
DOCUMENT_ID_PREFIX = "sha256:"
"""The prefix of a SHA-256 document identifier (GraphQL over HTTP, appendix A)."""
MAX_AUTOMATIC_DOCUMENTS = 1_000
"""Automatic documents kept per organisation: keeping one more evicts the oldest."""
MAX_TRUSTED_DOCUMENTS = 5_000
"""Trusted documents an organisation may hold, every client's manifests together."""
MAX_MANIFEST_DOCUMENTS = 1_000
"""Documents one registration may carry; a larger manifest is registered in parts."""
CLIENT_MAX = 100
"""Characters of a client's (manifest's) name."""

NOT_CACHED = {"Cache-Control": "private, no-cache, must-revalidate"}
"""A miss must not be cached: the client is about to persist the document (Apollo's header)."""
TRUSTED_ONLY = (
    "this credential runs trusted documents only: send the documentId (or the "
    "persistedQuery hash) of a document your organisation's admin registered"
)

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class Refused(Exception):
    """A request about persisted documents refused before it runs; the endpoint answers it
    GraphQL-shaped with ``code``, ``status`` and ``headers``."""

    def __init__(
        self,
        message: str,
        code: ErrorCode,
        *,
        status: int | None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        """The HTTP status; None: a request error's, which follows the response media type."""
        self.headers = dict(headers or {})


def _malformed(message: str) -> Refused:
    # like any request that is not GraphQL at all: 400 whatever the media type
    return Refused(message, ErrorCode.BAD_USER_INPUT, status=400)


def _trusted_only() -> Refused:
    return Refused(TRUSTED_ONLY, ErrorCode.FORBIDDEN, status=403)


class Via(enum.Enum):
    """How a request named its document: the two protocols answer a miss differently."""

    APQ = "extensions.persistedQuery"
    DOCUMENT_ID = "documentId"


@dataclass(frozen=True, slots=True)
class Named:
    """The document a request names: its SHA-256 (lower-case hex), and how it was named."""

    sha256: str
    via: Via


@dataclass(frozen=True, slots=True)
class Ask:
    """What a request sends of its document: the text, a hash naming it, or both (APQ)."""

    query: str | None
    named: Named | None


@dataclass(frozen=True, slots=True)
class Resolved:
    """The document to run, and the hash to keep it under once it ran without errors
    (an automatic document newly sent with its hash), if any."""

    query: str | None
    remember: str | None = None


def document_uuid(organisation_id: uuid.UUID, sha256: str) -> uuid.UUID:
    """A stable id for one organisation's document, for events and audit entries."""
    return uuid.uuid5(organisation_id, sha256)


def sha256_of(document: str) -> str:
    """The lower-case hexadecimal SHA-256 of ``document`` in UTF-8: its persisted key."""
    return hashlib.sha256(document.encode()).hexdigest()


def document_id(sha256: str) -> str:
    """The GraphQL-over-HTTP document identifier of a document's hash."""
    return DOCUMENT_ID_PREFIX + sha256


def _sha256(value: object) -> str | None:
    """``value`` as a SHA-256 in lower-case hex, or None when it is not one."""
    if not isinstance(value, str):
        return None
    lowered = value.lower()
    return lowered if _SHA256_HEX.fullmatch(lowered) else None


def _apq_hash(extensions: Mapping[str, Any] | None) -> str | None:
    """The hash of Apollo's ``persistedQuery`` extension, None when there is none."""
    if not extensions or extensions.get("persistedQuery") is None:
        return None
    extension = extensions["persistedQuery"]
    if not isinstance(extension, dict):
        raise _malformed("extensions.persistedQuery must be an object: {version, sha256Hash}")
    version = extension.get("version")
    if isinstance(version, bool) or version != APQ_VERSION:
        raise _malformed(f"unsupported persisted query version: send version {APQ_VERSION}")
    sha256 = _sha256(extension.get("sha256Hash"))
    if sha256 is None:
        raise _malformed(
            "extensions.persistedQuery.sha256Hash must be the SHA-256 of the query: "
            "64 hexadecimal characters"
        )
    return sha256


def read_request(
    query: str | None, extensions: Mapping[str, Any] | None, document_id: object
) -> Ask:
    """What a request says of its document (pure). Refuses (HTTP 400) a malformed
    ``persistedQuery`` or ``documentId``, and a ``documentId`` sent with a query or a
    ``persistedQuery``: the document would be named twice."""
    apq = _apq_hash(extensions)
    if document_id is None:
        return Ask(query, Named(apq, Via.APQ) if apq is not None else None)
    if query is not None or apq is not None:
        raise _malformed("send documentId alone, without query or extensions.persistedQuery")
    sha256 = None
    if isinstance(document_id, str) and document_id.startswith(DOCUMENT_ID_PREFIX):
        sha256 = _sha256(document_id[len(DOCUMENT_ID_PREFIX) :])
    if sha256 is None:
        raise _malformed(
            f"documentId must be {DOCUMENT_ID_PREFIX}<64 hexadecimal characters>: "
            "the SHA-256 of a persisted document"
        )
    return Ask(None, Named(sha256, Via.DOCUMENT_ID))


async def _stored(
    session: LockedSession, principal: Principal, sha256: str
) -> PersistedDocument | None:
    return await session.scalar(
        policy.own_persisted_documents(principal).where(PersistedDocument.sha256 == sha256)
    )


def _not_found(named: Named) -> Refused:
    if named.via is Via.APQ:
        # Apollo's words and status: its clients then send the query with the hash
        return Refused(
            "PersistedQueryNotFound",
            ErrorCode.PERSISTED_QUERY_NOT_FOUND,
            status=200,
            headers=NOT_CACHED,
        )
    return Refused(
        "no persisted document of your organisation has this documentId",
        ErrorCode.PERSISTED_QUERY_NOT_FOUND,
        status=None,
        headers=NOT_CACHED,
    )


async def resolve(session: LockedSession, principal: Principal, ask: Ask) -> Resolved:
    """The document a request runs, found in the principal's organisation's persisted
    documents when the request names one by hash.

    Refuses a hash that is not the query's (400, ``BAD_USER_INPUT``), a hash the
    organisation does not know (``PERSISTED_QUERY_NOT_FOUND``) and, for a credential made
    for trusted documents only, anything but a trusted document (403, ``FORBIDDEN``)."""
    named = ask.named
    if named is None:
        if principal.trusted_documents_only:
            raise _trusted_only()
        return Resolved(ask.query)
    if ask.query is not None:
        # Apollo's words, which its clients know
        if sha256_of(ask.query) != named.sha256:
            raise _malformed("provided sha does not match query")
        if not principal.trusted_documents_only:
            return Resolved(ask.query, remember=named.sha256)
        # the text is the trusted document's, checked by its hash: it may run
        stored = await _stored(session, principal, named.sha256)
        if stored is None or stored.kind is not DocumentKind.TRUSTED:
            raise _trusted_only()
        return Resolved(ask.query)
    stored = await _stored(session, principal, named.sha256)
    if stored is None:
        raise _not_found(named)
    if principal.trusted_documents_only and stored.kind is not DocumentKind.TRUSTED:
        raise _trusted_only()
    return Resolved(stored.document)


_KEEP_AUTOMATIC = text(
    """
    INSERT INTO public.persisted_documents (organisation_id, sha256, document, kind)
    VALUES (:organisation, :sha256, :document, 'automatic')
    ON CONFLICT (organisation_id, sha256) DO NOTHING
    RETURNING sha256
    """
)

_EVICT_AUTOMATIC = text(
    """
    DELETE FROM public.persisted_documents
    WHERE organisation_id = :organisation AND kind = 'automatic' AND sha256 IN (
      SELECT sha256 FROM public.persisted_documents
      WHERE organisation_id = :organisation AND kind = 'automatic'
      ORDER BY created_at DESC, sha256 DESC
      OFFSET :keep
    )
    """
)


async def remember(
    session: LockedSession,
    principal: Principal,
    sha256: str,
    document: str,
    *,
    keep: int | None = None,
) -> None:
    """Keep ``document`` (whose hash the caller checked, and which ran without errors, so
    within every document limit) as an automatic document of the principal's organisation,
    evicting the oldest beyond ``keep`` (default ``MAX_AUTOMATIC_DOCUMENTS``). A document
    already kept, trusted or automatic, stays as it is. In a savepoint of the operation's
    transaction: a failure here is logged and never fails the operation that ran."""
    values = {"organisation": principal.organisation_id, "sha256": sha256, "document": document}
    try:
        async with session.begin_nested():
            kept = await session.scalar(_KEEP_AUTOMATIC, values)
            if kept is not None:
                await session.execute(
                    _EVICT_AUTOMATIC,
                    {
                        "organisation": principal.organisation_id,
                        "keep": MAX_AUTOMATIC_DOCUMENTS if keep is None else keep,
                    },
                )
    except Exception:  # a cache: the client sends the query again on its next miss
        log.exception("could not keep an automatic persisted document")


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One document of a client's manifest: its hash (hex, or ``sha256:<hex>``) and text."""

    hash: str
    document: str


def _checked_entry(
    entry: ManifestEntry, field: str, *, max_characters: int, max_tokens: int
) -> str:
    """The SHA-256 of a manifest entry, once its hash, size and syntax are checked."""
    hash_field, document_field = f"{field}.hash", f"{field}.document"
    given = entry.hash.removeprefix(DOCUMENT_ID_PREFIX)
    sha256 = _sha256(given)
    if sha256 is None:
        raise BadInput(
            "a hash is the SHA-256 of its document: 64 hexadecimal characters, "
            f"optionally prefixed with {DOCUMENT_ID_PREFIX}",
            field=hash_field,
        )
    if len(entry.document) > max_characters:
        raise BadInput(
            f"the document exceeds the characters limit: {len(entry.document)} > {max_characters}",
            field=document_field,
        )
    if sha256_of(entry.document) != sha256:
        raise BadInput("the hash is not the SHA-256 of the document", field=hash_field)
    try:
        # the token limit, as for a query, bounds the parsing itself
        parsed = parse(entry.document, no_location=True, max_tokens=max_tokens)
    except GraphQLSyntaxError as error:
        raise BadInput(
            f"the document is not GraphQL: {error.message}", field=document_field
        ) from None
    definitions = parsed.definitions
    if not all(isinstance(d, ExecutableDefinitionNode) for d in definitions) or not any(
        isinstance(d, OperationDefinitionNode) for d in definitions
    ):
        raise BadInput(
            "a persisted document holds operations and their fragments only",
            field=document_field,
        )
    return sha256


_TRUST = text(
    """
    INSERT INTO public.persisted_documents (organisation_id, sha256, document, kind, client)
    VALUES (:organisation, :sha256, :document, 'trusted', :client)
    ON CONFLICT (organisation_id, sha256) DO UPDATE
    SET kind = 'trusted',
        client = coalesce(persisted_documents.client, EXCLUDED.client)
    """
)
"""Trust a document: an automatic one becomes trusted, named after this client; one
already trusted keeps the client that first registered it."""


async def register_trusted_documents(
    session: LockedSession,
    principal: Principal,
    *,
    client: str,
    documents: Sequence[ManifestEntry],
    max_characters: int,
    max_tokens: int,
) -> list[PersistedDocument]:
    """An organisation admin trusts a client's manifest: every document is checked (its
    hash is its SHA-256, it is within the document limits ``max_characters`` and
    ``max_tokens``, it is GraphQL operations and fragments) before any is stored, and the
    organisation keeps at most ``MAX_TRUSTED_DOCUMENTS``. Registering a document again
    changes nothing. Returns the manifest's documents, ordered by hash."""
    policy.require_scope(principal, Scope.ADMIN)
    client = checked_text(client, "client", limit=CLIENT_MAX)
    if not documents:
        raise BadInput("a manifest needs at least one document", field="documents")
    if len(documents) > MAX_MANIFEST_DOCUMENTS:
        raise BadInput(
            f"register at most {MAX_MANIFEST_DOCUMENTS} documents at a time; "
            "send a larger manifest in parts",
            field="documents",
        )
    checked: dict[str, str] = {}
    for index, entry in enumerate(documents):
        sha256 = _checked_entry(
            entry, f"documents.{index}", max_characters=max_characters, max_tokens=max_tokens
        )
        checked[sha256] = entry.document
    mine = policy.own_persisted_documents(principal)
    already = set(
        await session.scalars(
            mine.where(
                PersistedDocument.sha256.in_(checked),
                PersistedDocument.kind == DocumentKind.TRUSTED,
            ).with_only_columns(PersistedDocument.sha256)
        )
    )
    await session.execute(
        _TRUST,
        [
            {
                "organisation": principal.organisation_id,
                "sha256": sha256,
                "document": document,
                "client": client,
            }
            for sha256, document in checked.items()
        ],
    )
    # trusting a document widens what trusted-only credentials may run: audited like any
    # change, though the upsert goes around the ORM
    newly = [
        Change(
            object_type="PersistedDocument",
            object_id=document_uuid(principal.organisation_id, sha256),
            verb="trusted",
            changes={"sha256": sha256, "client": client, "kind": {"to": "trusted"}},
        )
        for sha256 in sorted(checked.keys() - already)
    ]
    await session.run_sync(lambda sync: record_changes(sync, newly))
    trusted = await session.scalar(
        select(func.count()).select_from(
            mine.where(PersistedDocument.kind == DocumentKind.TRUSTED).subquery()
        )
    )
    if (trusted or 0) > MAX_TRUSTED_DOCUMENTS:
        # the caller's savepoint undoes the upsert: nothing is registered
        raise BadInput(
            f"an organisation keeps at most {MAX_TRUSTED_DOCUMENTS} trusted documents",
            field="documents",
        )
    rows = await session.scalars(
        mine.where(PersistedDocument.sha256.in_(checked))
        .order_by(PersistedDocument.sha256)
        # the raw upsert changed rows this session may hold: read them afresh
        .execution_options(populate_existing=True)
    )
    return list(rows)
