"""The principal: who is acting, for which organisation, with which rights."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from auth.scopes import Scope
from db.enums import CredentialKind


@dataclass(frozen=True, slots=True)
class Principal:
    """Built once per request from its credential and passed explicitly to domain code.

    ``scopes`` are already narrowed to what both the credential and its creator may do.
    """

    organisation_id: uuid.UUID
    user_id: uuid.UUID | None
    credential_kind: CredentialKind
    credential_id: uuid.UUID | None
    scopes: frozenset[Scope]
    trusted_documents_only: bool = False
    """The credential may run only documents its organisation's admin registered as trusted
    (``portal.persisted``): no free-form query, no automatically persisted one."""

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes
