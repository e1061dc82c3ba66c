"""Persisted documents as the API shows them."""

from __future__ import annotations

import datetime as dt

import strawberry

from db.persisted import PersistedDocument
from portal import persisted


@strawberry.type(
    description="A document your organisation's admins registered as trusted: a request may "
    "run it by its documentId alone, and it is all a trusted-documents-only token may run."
)
class TrustedDocument:
    document_id: str = strawberry.field(
        description="How a request names it: sha256: and the SHA-256 of its text, as "
        "documentId (or the hash alone as extensions.persistedQuery.sha256Hash)."
    )
    client: str = strawberry.field(description="The client whose manifest first trusted it.")
    created_at: dt.datetime = strawberry.field(description="When it was first persisted.")

    @classmethod
    def from_model(cls, row: PersistedDocument) -> TrustedDocument:
        return cls(
            document_id=persisted.document_id(row.sha256),
            client=row.client or "",
            created_at=row.created_at,
        )
