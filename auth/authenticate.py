"""From a bearer credential to a principal."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import text

from auth.api_tokens import hash_token, is_well_formed
from auth.principal import Principal
from auth.scopes import ALL_SCOPES, ROLE_SCOPES, Scope
from db.enums import CredentialKind, UserRole, UserStatus
from db.session import START_CONTEXT, LockedSession, started


async def authenticate_api_token(
    session: LockedSession, token: str, *, secret: str, now: dt.datetime
) -> Principal | None:
    """The principal behind ``token``, or ``None`` when it is malformed, unknown, revoked or
    expired. On success the session acts for the token's organisation from then on.

    This is the request start: one statement finds the token (as the login role, which may
    call only this lookup) and enters the application role and the token's organisation,
    so a request costs no round trip for its context (``db.session.START_CONTEXT``).

    The token's scopes are narrowed to its creator's current role, so demoting a user
    narrows every token they made, and a deactivated creator's tokens are refused. A token
    made for trusted documents only says so on the principal, which then runs nothing else
    (``portal.persisted``).
    """
    if not is_well_formed(token):
        return None
    row = (
        await session.execute(
            text(
                # composed of constants only; the hash is a bound parameter
                f"SELECT t.*, {START_CONTEXT % 't.organisation_id::text'}"  # noqa: S608
                " FROM public.portal_api_token_by_hash(:hash) t"
            ),
            {"hash": hash_token(token, secret)},
        )
    ).one_or_none()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.creator_status == UserStatus.DEACTIVATED:
        return None
    scopes = frozenset(Scope(s) for s in row.scopes if s in Scope.__members__.values())
    if row.created_by_user_id is not None:
        creator_scopes = ROLE_SCOPES.get(UserRole(row.creator_role), frozenset())
        scopes &= creator_scopes
    else:
        scopes &= ALL_SCOPES
    organisation_id: uuid.UUID = row.organisation_id
    started(session, organisation_id)
    return Principal(
        organisation_id=organisation_id,
        user_id=row.created_by_user_id,
        credential_kind=CredentialKind.API_TOKEN,
        credential_id=row.id,
        scopes=scopes,
        trusted_documents_only=row.trusted_documents_only,
    )
