"""What the persisted-documents mutations take: their input types."""

from __future__ import annotations

import strawberry

from portal import persisted


@strawberry.input(
    description="One document of a client's manifest: graphql-codegen's persisted-documents "
    "manifest {hash: document} is a list of these pairs."
)
class TrustedDocumentInput:
    hash: str = strawberry.field(
        description="The SHA-256 of the document's text (UTF-8) in hexadecimal, as the "
        "manifest has it, optionally prefixed with sha256: (the documentId)."
    )
    document: str = strawberry.field(
        description="The document's exact text: GraphQL operations and their fragments, "
        "within the limits on a document's characters and tokens (the other document "
        "limits apply when it runs)."
    )


@strawberry.input(
    description="Trust a client's documents. Your organisation's admins only (admin scope). "
    "Every hash is checked against its document and nothing is registered unless all "
    f"are right; at most {persisted.MAX_MANIFEST_DOCUMENTS} documents at a time, and "
    f"{persisted.MAX_TRUSTED_DOCUMENTS} trusted documents per organisation."
)
class RegisterTrustedDocumentsInput:
    client: str = strawberry.field(
        description=f"The client (manifest) they belong to (1-{persisted.CLIENT_MAX} "
        "characters), e.g. partner-web@2.3.0."
    )
    documents: list[TrustedDocumentInput] = strawberry.field(
        description="The manifest's documents."
    )
