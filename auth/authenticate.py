"""From a bearer credential to a principal."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import text

from auth.api_tokens import hash_token, is_well_formed
from auth.principal import Principal
from auth.scopes import ALL_SCOPES, ROLE_SCOPES, Scope
from db.enums import CredentialKind, UserRole, UserStatus
from db.session import START_CONTEXT, LockedSession, started

API_TOKEN_START = (
    # composed of constants only; the hash is the one parameter
    f"SELECT t.*, {START_CONTEXT % 't.organisation_id::text'}"  # noqa: S608
    " FROM public.portal_api_token_by_hash({hash}) t"
)
"""The request start of an API token (``{hash}``: where its keyed hash is bound): one
statement finds the token (as the login role, which may call only this lookup) and enters
the application role and the token's organisation (``db.session.START_CONTEXT``)."""

_START = text(API_TOKEN_START.format(hash=":hash"))


class TokenRow(Protocol):
    """A row of ``API_TOKEN_START``, as SQLAlchemy or asyncpg returns it."""

    def __getitem__(self, column: str, /) -> Any: ...


def token_principal(row: TokenRow | None, now: dt.datetime) -> Principal | None:
    """The principal of a row of ``API_TOKEN_START``, or ``None`` when there is no row or
    the token is revoked or expired or its creator deactivated.

    The token's scopes are narrowed to its creator's current role, so demoting a user
    narrows every token they made. A token made for trusted documents only says so on the
    principal, which then runs nothing else (``portal.persisted``)."""
    if row is None or row["revoked_at"] is not None or row["expires_at"] <= now:
        return None
    if row["creator_status"] == UserStatus.DEACTIVATED:
        return None
    scopes = frozenset(Scope(s) for s in row["scopes"] if s in Scope.__members__.values())
    if row["created_by_user_id"] is not None:
        scopes &= ROLE_SCOPES.get(UserRole(row["creator_role"]), frozenset())
    else:
        scopes &= ALL_SCOPES
    return Principal(
        organisation_id=row["organisation_id"],
        user_id=row["created_by_user_id"],
        credential_kind=CredentialKind.API_TOKEN,
        credential_id=row["id"],
        scopes=scopes,
        trusted_documents_only=row["trusted_documents_only"],
    )


async def authenticate_api_token(
    session: LockedSession, token: str, *, secret: str, now: dt.datetime
) -> Principal | None:
    """The principal behind ``token``, or ``None`` when it is malformed, unknown, revoked or
    expired (``token_principal``). This is the request start (``API_TOKEN_START``): on
    success the session acts for the token's organisation from then on."""
    if not is_well_formed(token):
        return None
    row = (await session.execute(_START, {"hash": hash_token(token, secret)})).mappings().first()
    principal = token_principal(row, now)
    if principal is not None:
        started(session, principal.organisation_id)
    return principal
