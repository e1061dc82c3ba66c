"""The persisted-documents mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

from typing import Annotated

import strawberry

from auth.scopes import Scope
from db.persisted import PersistedDocument
from portal import persisted
from schema.context import Info
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.scopes import Needs
from schema.persisted_documents.inputs import RegisterTrustedDocumentsInput
from schema.persisted_documents.types import TrustedDocument


@strawberry.type(description="Result of registerTrustedDocuments.")
class RegisterTrustedDocumentsPayload:
    documents: list[TrustedDocument] | None = strawberry.field(
        description="The manifest's documents, now trusted, ordered by documentId."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was registered.")


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Trust a client's manifest of documents, so that requests may name them "
        "by documentId and trusted-documents-only tokens may run them.",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def register_trusted_documents(
        self,
        info: Info,
        input: Annotated[
            RegisterTrustedDocumentsInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> RegisterTrustedDocumentsPayload:
        ctx = info.context

        async def register() -> list[PersistedDocument]:
            return await persisted.register_trusted_documents(
                ctx.session,
                ctx.principal,
                client=input.client,
                documents=[persisted.ManifestEntry(d.hash, d.document) for d in input.documents],
                max_characters=ctx.settings.max_document_characters,
                max_tokens=ctx.settings.max_tokens,
            )

        rows, errors = await guarded(ctx.session, register)
        return RegisterTrustedDocumentsPayload(
            documents=[TrustedDocument.from_model(row) for row in rows]
            if rows is not None
            else None,
            user_errors=errors,
        )
