"""The server logs in as its own role, which can become the application role and nothing else.

Until now the server connected as whichever role the URL named (often the schema's owner,
or a superuser) and switched into ``portal_app`` per transaction; ``RESET ROLE`` took it
back to everything. ``portal_server`` is a login role with no privilege of its own that
may only ``SET ROLE portal_app``: it is not a superuser, cannot bypass row-level security,
and is no member of ``portal_rls``, the owner of the definer functions.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from db import rls

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rls.create_server_role()


def downgrade() -> None:
    # The role is cluster-wide and other databases of the cluster may log in with it: it
    # stays, as the other roles of the first migration do.
    pass
