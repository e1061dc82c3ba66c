"""Operators onboard organisations from the command line: the organisation, its claimed
e-mail domains, and a first admin invited with a bootstrap token; and rotate the portal's
signing keys."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from db.enums import UserRole, UserStatus
from db.identity import OrganisationDomain, SigningKey
from db.models import Organisation, User
from portal.cli import app
from portal.settings import get_settings
from tests.builders import World, gql
from tests.conftest import TEST_SECRET


async def portal(database_url: str, *args: str) -> tuple[int, str]:
    """Run ``portal <args>`` against the test database, in a thread of its own (the CLI
    runs its own event loop)."""
    env = {"PORTAL_DATABASE_URL": database_url, "PORTAL_TOKEN_SECRET": TEST_SECRET}

    def run() -> tuple[int, str]:
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, list(args), env=env)
        finally:
            get_settings.cache_clear()
        return result.exit_code, result.output

    return await asyncio.to_thread(run)


CREATE = (
    "org", "create", "--slug", "helix-bio", "--name", "Helix Bio GmbH", "--kind", "biotech",
    "--country", "DE", "--admin-email", "Ana.Lopez@Helix-Bio.EXAMPLE", "--admin-name",
    "Ana Lopez", "--domain", "helix-bio.example", "--domain", "Helix.Example",
)  # fmt: skip


async def test_org_create_invites_a_first_admin_whose_bootstrap_token_works(
    database_url: str, world: World, client: httpx.AsyncClient
) -> None:
    code, output = await portal(database_url, *CREATE)
    assert code == 0, output
    token = re.search(r"\b(ap_\w+)", output)
    assert token is not None, output
    assert "ana.lopez@helix-bio.example" not in output  # the local part keeps its case
    assert "Ana.Lopez@helix-bio.example" in output
    async with world.sessions() as session:
        org = await session.scalar(select(Organisation).where(Organisation.slug == "helix-bio"))
        assert org is not None
        admin = await session.scalar(select(User).where(User.organisation_id == org.id))
        domains = set(await session.scalars(select(OrganisationDomain.domain)))
    assert admin is not None
    assert (admin.role, admin.status, admin.issuer) == (UserRole.ADMIN, UserStatus.INVITED, None)
    assert domains == {"helix-bio.example", "helix.example"}
    body = await gql(client, token.group(1), "{ viewer { organisation { slug } scopes } }")
    assert body["data"]["viewer"]["organisation"]["slug"] == "helix-bio"
    assert "admin" in body["data"]["viewer"]["scopes"]

    code, listing = await portal(database_url, "org", "list")
    assert code == 0
    assert re.search(r"helix-bio\s+biotech\s+DE\s+1 people\s+no identity provider", listing)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("--slug", "Helix Bio"), "slug"),
        (("--country", "Germany"), "country"),
        (("--admin-email", "not-an-address"), "e-mail"),
        (("--domain", "no_underscores.example"), "domain"),
    ],
)
async def test_org_create_refuses_bad_input_and_changes_nothing(
    database_url: str, world: World, change: tuple[str, str], complaint: str
) -> None:
    args = list(CREATE)
    args[args.index(change[0]) + 1] = change[1]
    code, output = await portal(database_url, *args)
    assert code != 0
    assert complaint in output
    assert await world.count(Organisation) == 0
    assert await world.count(User) == 0


async def test_a_claimed_domain_or_slug_cannot_be_claimed_again(
    database_url: str, world: World
) -> None:
    assert (await portal(database_url, *CREATE))[0] == 0
    again = list(CREATE)
    again[again.index("--slug") + 1] = "helix-two"
    code, output = await portal(database_url, *again)
    assert code != 0
    assert "claimed by another organisation" in output
    code, output = await portal(database_url, *CREATE)
    assert code != 0
    assert "exists already" in output
    assert await world.count(Organisation) == 1


async def test_keys_rotate_publishes_a_key_that_signs_after_the_lead(
    database_url: str, world: World, client: httpx.AsyncClient
) -> None:
    code, output = await portal(database_url, "keys", "rotate", "--lead-minutes", "30")
    assert code == 0, output
    code, listing = await portal(database_url, "keys", "list")
    assert code == 0
    assert len(listing.strip().splitlines()) == 1
    async with world.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SigningKey)) == 1
    published = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert [key["kid"] for key in published] == [output.split()[2].rstrip(":")]
