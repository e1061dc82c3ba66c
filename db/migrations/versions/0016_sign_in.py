"""People and sign-in: invitations, organisations' identity providers, the portal as OAuth
2.0 authorization server.

``users`` gains a status: an invited person has an e-mail address and no identity yet; the
first sign-in through the organisation's identity provider binds ``(issuer, subject)``.
``organisation_domains`` are the e-mail domains an operator let an organisation claim (the
sign-in page finds the organisation by them). ``identity_providers`` holds each
organisation's OpenID provider (one each; its client secret encrypted). ``oauth_clients``
are partner frontends; ``signin_requests`` the sign-ins in flight; ``authorization_codes``,
``oauth_grants`` (one per sign-in, what a refresh-token family and its access tokens belong
to) and ``refresh_tokens`` what the token endpoint hands out, every secret stored as a keyed
hash; ``signing_keys`` the portal's own keys, private halves encrypted.

The sign-in endpoints run as ``portal_signin``: it reads and writes these tables for every
organisation (it must, before anyone is known) and has no privilege on any alliance data.
The application role sees its own organisation's rows only, and cannot read a secret's hash
or a key of any kind.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

from db import rls
from db.session import APP_ROLE, SIGNIN_ROLE

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ME = rls.CURRENT_ORGANISATION
UUID = pg.UUID(as_uuid=True)
KINDS = ["api_token", "operator", "system", "access_token", "provider_token"]
SIGNIN_TABLES = (
    "organisation_domains",
    "identity_providers",
    "oauth_clients",
    "signin_requests",
    "authorization_codes",
    "oauth_grants",
    "refresh_tokens",
    "signing_keys",
)


def _kinds(values: list[str]) -> None:
    listed = ", ".join(map(repr, values))
    for table in ("audit_entries", "signatures"):
        op.drop_constraint(f"ck_{table}_credential_kind", table)
        op.create_check_constraint("credential_kind", table, f"credential_kind IN ({listed})")


def _organisation(**kwargs: Any) -> sa.Column[Any]:
    return sa.Column(
        "organisation_id",
        UUID,
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        nullable=False,
        **kwargs,
    )


def _when(name: str, *, nullable: bool = True) -> sa.Column[Any]:
    if nullable:
        return sa.Column(name, sa.DateTime(timezone=True))
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def _people() -> None:
    op.add_column(
        "users", sa.Column("status", sa.String(32), nullable=False, server_default="active")
    )
    op.create_check_constraint("status", "users", "status IN ('invited', 'active', 'deactivated')")
    op.alter_column("users", "issuer", nullable=True)
    op.alter_column("users", "subject", nullable=True)
    # an identity is bound at the first sign-in, and never unbound; an invitation nobody
    # took up may be withdrawn (deactivated) without one
    op.create_check_constraint(
        "identity_bound",
        "users",
        "status <> 'active' OR (issuer IS NOT NULL AND subject IS NOT NULL)",
    )
    op.add_column("users", sa.Column("invited_by_user_id", UUID, sa.ForeignKey("users.id")))
    op.add_column("users", _when("signed_in_at"))
    op.add_column("users", _when("deactivated_at"))
    # an invitation is matched by e-mail address at the first sign-in: one person each
    op.create_index(
        "ix_users_organisation_email",
        "users",
        ["organisation_id", sa.text("lower(email)")],
        unique=True,
    )


def _tables() -> None:
    op.create_table(
        "organisation_domains",
        sa.Column("domain", sa.String(253), primary_key=True),
        _organisation(index=True),
        _when("created_at", nullable=False),
        sa.CheckConstraint(
            r"domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'",
            name="domain_format",
        ),
    )
    op.create_table(
        "identity_providers",
        sa.Column("id", UUID, primary_key=True, server_default=sa.func.gen_random_uuid()),
        _organisation(unique=True),
        sa.Column("issuer", sa.String(500), nullable=False, index=True),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("client_secret_encrypted", sa.LargeBinary()),
        sa.Column("audience", sa.String(500)),
        sa.Column("algorithms", pg.ARRAY(sa.String(16)), nullable=False),
        sa.Column("subject_claim", sa.String(100), nullable=False, server_default="sub"),
        sa.Column("email_claim", sa.String(100), nullable=False, server_default="email"),
        sa.Column("name_claim", sa.String(100), nullable=False, server_default="name"),
        sa.Column("role_claim", sa.String(100)),
        sa.Column("role_values", pg.JSONB(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("tenant_claim", sa.String(100)),
        sa.Column("tenant_ids", pg.ARRAY(sa.String(255)), nullable=False, server_default="{}"),
        sa.Column("provision_unknown", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("accept_access_tokens", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("metadata", pg.JSONB(), nullable=False),
        sa.Column("created_by_user_id", UUID, sa.ForeignKey("users.id")),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.CheckConstraint(
            "(tenant_claim IS NULL) = (cardinality(tenant_ids) = 0)", name="tenants_named"
        ),
    )
    op.create_table(
        "oauth_clients",
        sa.Column("id", UUID, primary_key=True, server_default=sa.func.gen_random_uuid()),
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        _organisation(index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("redirect_uris", pg.ARRAY(sa.String(2000)), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary()),
        sa.Column("created_by_user_id", UUID, sa.ForeignKey("users.id")),
        sa.Column("owner_user_id", UUID, sa.ForeignKey("users.id")),
        _when("suspended_at"),
        _when("revoked_at"),
        _when("created_at", nullable=False),
        sa.CheckConstraint("is_public = (secret_hash IS NULL)", name="secret_if_confidential"),
        sa.CheckConstraint("cardinality(redirect_uris) > 0", name="has_redirect_uri"),
    )
    op.create_table(
        "signin_requests",
        sa.Column("state_hash", sa.LargeBinary(), primary_key=True),
        _organisation(),
        sa.Column(
            "client_id", UUID, sa.ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("redirect_uri", sa.String(2000), nullable=False),
        sa.Column("scopes", pg.ARRAY(sa.String(64)), nullable=False),
        sa.Column("client_state", sa.String(500)),
        sa.Column("client_nonce", sa.String(500)),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("upstream_nonce", sa.String(128), nullable=False),
        sa.Column("upstream_verifier", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _when("used_at"),
        _when("created_at", nullable=False),
    )
    op.create_table(
        "oauth_grants",
        sa.Column("id", UUID, primary_key=True, server_default=sa.func.gen_random_uuid()),
        _organisation(),
        sa.Column(
            "user_id",
            UUID,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column(
            "client_id", UUID, sa.ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("scopes", pg.ARRAY(sa.String(64)), nullable=False),
        _when("created_at", nullable=False),
        _when("revoked_at"),
        sa.Column("revoked_reason", sa.String(64)),
    )
    op.create_table(
        "authorization_codes",
        sa.Column("code_hash", sa.LargeBinary(), primary_key=True),
        _organisation(),
        sa.Column(
            "client_id", UUID, sa.ForeignKey("oauth_clients.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", UUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("redirect_uri", sa.String(2000), nullable=False),
        sa.Column("scopes", pg.ARRAY(sa.String(64)), nullable=False),
        sa.Column("code_challenge", sa.String(128), nullable=False),
        sa.Column("nonce", sa.String(500)),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _when("used_at"),
        sa.Column("grant_id", UUID, sa.ForeignKey("oauth_grants.id", ondelete="CASCADE")),
        _when("created_at", nullable=False),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.LargeBinary(), primary_key=True),
        sa.Column(
            "grant_id",
            UUID,
            sa.ForeignKey("oauth_grants.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        _organisation(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        _when("used_at"),
        _when("created_at", nullable=False),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), primary_key=True),
        sa.Column("alg", sa.String(16), nullable=False),
        sa.Column("public_jwk", pg.JSONB(), nullable=False),
        sa.Column("private_jwk_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("signs_from", sa.DateTime(timezone=True), nullable=False),
        _when("signs_until"),
        _when("created_at", nullable=False),
    )


def _security() -> None:
    rls.create_signin_role()
    grants = {
        "organisations": "SELECT",
        "users": "SELECT, INSERT, UPDATE",
        "organisation_domains": "SELECT",
        "identity_providers": "SELECT",
        "oauth_clients": "SELECT",
        "signin_requests": "SELECT, INSERT, UPDATE",
        "authorization_codes": "SELECT, INSERT, UPDATE",
        "oauth_grants": "SELECT, INSERT, UPDATE",
        "refresh_tokens": "SELECT, INSERT, UPDATE",
        "signing_keys": "SELECT, INSERT, UPDATE",
    }
    for table, privileges in grants.items():
        op.execute(f"GRANT {privileges} ON public.{table} TO {SIGNIN_ROLE}")
        op.execute(
            f"CREATE POLICY {table}_signin ON public.{table} TO {SIGNIN_ROLE}"
            " USING (true) WITH CHECK (true)"
        )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {SIGNIN_ROLE}")

    for table in SIGNIN_TABLES:
        op.execute(f"ALTER TABLE public.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE public.{table} FORCE ROW LEVEL SECURITY")
    own = f"organisation_id = {ME}"
    op.execute(f"GRANT SELECT ON public.organisation_domains TO {APP_ROLE}")
    rls.policy("organisation_domains", "own_read", "SELECT", using=own)
    # The admin registers and changes the provider; the secret is written, never read back
    # (column grants: the application role cannot select it).
    op.execute(
        f"GRANT INSERT, UPDATE, DELETE ON public.identity_providers TO {APP_ROLE}",
    )
    op.execute(
        "GRANT SELECT (id, organisation_id, issuer, client_id, audience, algorithms,"
        " subject_claim, email_claim, name_claim, role_claim, role_values, tenant_claim,"
        " tenant_ids, provision_unknown, accept_access_tokens, metadata, created_by_user_id,"
        f" created_at, updated_at) ON public.identity_providers TO {APP_ROLE}"
    )
    rls.policy("identity_providers", "own", "ALL", using=own, check=own)
    op.execute(f"GRANT INSERT, UPDATE ON public.oauth_clients TO {APP_ROLE}")
    op.execute(
        "GRANT SELECT (id, client_id, organisation_id, name, redirect_uris, is_public,"
        " created_by_user_id, owner_user_id, suspended_at, revoked_at, created_at)"
        f" ON public.oauth_clients TO {APP_ROLE}"
    )
    rls.policy("oauth_clients", "own", "ALL", using=own, check=own)
    # Deactivating a person revokes their grants: the application role may read and revoke
    # its organisation's grants, not make one.
    op.execute(f"GRANT SELECT, UPDATE ON public.oauth_grants TO {APP_ROLE}")
    rls.policy("oauth_grants", "own_read", "SELECT", using=own)
    rls.policy("oauth_grants", "own_revoke", "UPDATE", using=own, check=own)
    # One provider serves several organisations only through the tenant claim: registering
    # an issuer must not overlap another organisation's registration of it. The answer is a
    # yes or no about the caller's own candidate, never the other registrations themselves.
    rls.create_definer_function(
        "portal_issuer_taken(provider_issuer text, provider_tenant_ids varchar[])",
        "boolean",
        """SELECT EXISTS (
               SELECT 1 FROM public.identity_providers
               WHERE issuer = provider_issuer
                 AND organisation_id <> public.portal_current_organisation()
                 AND (tenant_claim IS NULL OR provider_tenant_ids IS NULL
                      OR cardinality(provider_tenant_ids) = 0
                      OR tenant_ids && provider_tenant_ids))""",
    )
    rls.let_definer_read("identity_providers")


def _token_by_hash(*, creator_status: bool) -> None:
    """The token lookup of 0015, and (now) its creator's status: a deactivated person's
    tokens are refused even if one escaped the revocation at deactivation."""
    op.execute("DROP FUNCTION public.portal_api_token_by_hash(bytea)")
    columns = """id uuid, organisation_id uuid, created_by_user_id uuid, creator_role text,
                 scopes varchar[], expires_at timestamptz, revoked_at timestamptz,
                 trusted_documents_only boolean"""
    extra = ", u.status::text" if creator_status else ""
    rls.create_definer_function(
        "portal_api_token_by_hash(secret_hash bytea)",
        f"TABLE ({columns}{', creator_status text' if creator_status else ''})",
        f"""SELECT t.id, t.organisation_id, t.created_by_user_id, u.role::text, t.scopes,
                   t.expires_at, t.revoked_at, t.trusted_documents_only{extra}
            FROM public.api_tokens t LEFT JOIN public.users u ON u.id = t.created_by_user_id
            WHERE t.token_hash = secret_hash""",
    )


def upgrade() -> None:
    _kinds(KINDS)
    _people()
    _tables()
    _security()
    _token_by_hash(creator_status=True)


def downgrade() -> None:
    _token_by_hash(creator_status=False)
    op.execute("DROP FUNCTION public.portal_issuer_taken(text, varchar[])")
    for table in reversed(SIGNIN_TABLES):
        op.drop_table(table)
    for table, privileges in {"organisations": "SELECT", "users": "SELECT, INSERT, UPDATE"}.items():
        op.execute(f"DROP POLICY {table}_signin ON public.{table}")
        op.execute(f"REVOKE {privileges} ON public.{table} FROM {SIGNIN_ROLE}")
    op.drop_index("ix_users_organisation_email", "users")
    for column in ("deactivated_at", "signed_in_at", "invited_by_user_id"):
        op.drop_column("users", column)
    op.drop_constraint("ck_users_identity_bound", "users")
    op.execute("DELETE FROM public.users WHERE issuer IS NULL OR subject IS NULL")
    op.alter_column("users", "subject", nullable=False)
    op.alter_column("users", "issuer", nullable=False)
    op.drop_constraint("ck_users_status", "users")
    op.drop_column("users", "status")
    # The wider credential kinds stay: audit entries and signatures are never removed, and
    # some may name an access token.
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {SIGNIN_ROLE}")
