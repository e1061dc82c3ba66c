"""The portal's own access tokens on the API (RFC 9068, RFC 8725): a genuine one acts for
its person, and every kind of tampered, foreign or stale token is refused with 401 and
``WWW-Authenticate: Bearer error="invalid_token"``."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from db.enums import UserRole
from db.identity import OAuthGrant
from db.models import utcnow
from portal.settings import Settings
from portal.signin import keys
from tests.builders import World
from tests.sign_in.conftest import Grant, Mint, b64, deactivate, grant, later, set_person

VIEWER = "{ viewer { userId credentialKind scopes organisation { slug } } }"


async def ask(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )


def assert_refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert 'error="invalid_token"' in challenge
    assert reason in response.json()["errors"][0]["message"], response.json()
    assert reason in challenge


async def test_a_genuine_token_acts_for_its_person_with_the_scopes_of_token_and_role(
    client: httpx.AsyncClient, world: World, mint: Mint
) -> None:
    org = await world.organisation()
    member = await grant(world, org, UserRole.MEMBER)
    response = await ask(client, await mint.token(member))
    assert response.status_code == 200, response.text
    viewer = response.json()["data"]["viewer"]
    assert viewer == {
        "userId": str(member.user_id),
        "credentialKind": "access_token",
        # the token asks for admin; a member's role does not have it
        "scopes": ["alliances:read"],
        "organisation": {"slug": org.slug},
    }


async def _foreign_key_token(mint: Mint, of: Grant) -> str:
    """Signed by a key of the same kind and the portal's kid, but not the portal's key."""
    kid = (await mint.signer()).kid
    impostor = ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)
    return jwt.encode(
        {"alg": "ES256", "kid": kid, "typ": "at+jwt"},
        mint.claims(of),
        impostor,
        algorithms=["ES256"],
    )


async def _none_token(mint: Mint, of: Grant) -> str:
    kid = (await mint.signer()).kid
    return f"{b64({'alg': 'none', 'kid': kid, 'typ': 'at+jwt'})}.{b64(mint.claims(of))}."


async def _hs256_with_public_key(mint: Mint, of: Grant) -> str:
    """The classic confusion: HMAC keyed with the published public key."""
    signer = await mint.signer()
    public = json.dumps(signer.key.as_dict(private=False)).encode()
    signing_input = (
        f"{b64({'alg': 'HS256', 'kid': signer.kid, 'typ': 'at+jwt'})}.{b64(mint.claims(of))}"
    )
    mac = hmac.new(public, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


async def _rs256_embedded_key(mint: Mint, of: Grant) -> str:
    """Signed with the attacker's key, which the header carries (``jwk``)."""
    attacker = RSAKey.generate_key(2048, private=True)
    header = {"alg": "RS256", "typ": "at+jwt", "jwk": attacker.as_dict(private=False)}
    return jwt.encode(header, mint.claims(of), attacker, algorithms=["RS256"])


async def _altered_claims(mint: Mint, of: Grant) -> str:
    """A genuine token whose payload now names another scope set."""
    header, _, signature = (await mint.token(of)).split(".")
    return f"{header}.{b64(mint.claims(of, scope='admin alliances:write'))}.{signature}"


FORGERIES = {
    "signed by another key under the portal's kid": (_foreign_key_token, "signature"),
    "alg none": (_none_token, "algorithm"),
    "HS256 keyed with the public key": (_hs256_with_public_key, "algorithm"),
    "an embedded jwk": (_rs256_embedded_key, "algorithm"),
    "claims altered after signing": (_altered_claims, "signature"),
}


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
async def test_a_forged_token_is_refused(
    client: httpx.AsyncClient, world: World, mint: Mint, forgery: str
) -> None:
    member = await grant(world, await world.organisation())
    make, reason = FORGERIES[forgery]
    assert_refused(await ask(client, await make(mint, member)), reason)


CLAIM_ATTACKS: dict[str, tuple[Callable[[], dict[str, Any]], str]] = {
    # claims made when the test runs: times taken at import would age with a long run
    "another audience": (lambda: {"aud": "https://elsewhere.example/graphql"}, "aud"),
    "no audience": (lambda: {"aud": None}, "aud"),
    "another issuer": (lambda: {"iss": "https://impostor.example"}, "issuer is not accepted"),
    "expired": (lambda: {"exp": later(-120)}, "expired"),
    "no expiry": (lambda: {"exp": None}, "exp"),
    "not valid yet": (lambda: {"nbf": later(600)}, "nbf"),
    "issued in the future": (lambda: {"iat": later(600)}, "iat"),
    "no subject": (lambda: {"sub": None}, "sub"),
}


@pytest.mark.parametrize("attack", CLAIM_ATTACKS, ids=list(CLAIM_ATTACKS))
async def test_a_token_signed_by_the_portal_with_wrong_claims_is_refused(
    client: httpx.AsyncClient, world: World, mint: Mint, attack: str
) -> None:
    member = await grant(world, await world.organisation())
    changes, reason = CLAIM_ATTACKS[attack]
    assert_refused(await ask(client, await mint.token(member, **changes())), reason)


async def test_the_leeway_is_small_and_bounded(
    client: httpx.AsyncClient, world: World, mint: Mint
) -> None:
    member = await grant(world, await world.organisation())
    ok = await ask(client, await mint.token(member, exp=later(-10), nbf=later(10)))
    assert ok.status_code == 200, ok.text
    assert_refused(await ask(client, await mint.token(member, exp=later(-45))), "expired")


HEADER_ATTACKS: dict[str, tuple[dict[str, Any], str]] = {
    "typ JWT, not at+jwt (an ID token replayed)": ({"typ": "JWT"}, "typ"),
    "no typ": ({"typ": None}, "typ"),
    "an unknown kid": ({"kid": "not-a-portal-key"}, "key id"),
    "a jku pointing elsewhere": ({"jku": "https://attacker.example/jwks"}, "header"),
    "an x5u": ({"x5u": "https://attacker.example/cert"}, "header"),
}


@pytest.mark.parametrize("attack", HEADER_ATTACKS, ids=list(HEADER_ATTACKS))
async def test_a_token_with_a_wrong_header_is_refused(
    client: httpx.AsyncClient, world: World, mint: Mint, attack: str
) -> None:
    member = await grant(world, await world.organisation())
    header, reason = HEADER_ATTACKS[attack]
    assert_refused(await ask(client, await mint.token(member, header=header)), reason)


async def test_application_at_jwt_is_the_same_typ(
    client: httpx.AsyncClient, world: World, mint: Mint
) -> None:
    member = await grant(world, await world.organisation())
    response = await ask(client, await mint.token(member, header={"typ": "application/at+JWT"}))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("a.b", "not a signed JWT"),
        ("!!!.???.###", "well-formed"),
        (f"{b64({'alg': 'ES256', 'pad': 'x' * 2000})}.e30.sig", "header is too large"),
        ("x" * 9000, "too large"),
    ],
    ids=["two segments", "not base64", "huge header", "huge token"],
)
async def test_a_malformed_or_oversized_token_is_refused_before_any_key_is_used(
    client: httpx.AsyncClient, token: str, reason: str
) -> None:
    assert_refused(await ask(client, token), reason)


async def test_a_token_of_one_organisation_cannot_act_for_another(
    client: httpx.AsyncClient, world: World, mint: Mint
) -> None:
    """Even signed by the portal: the tenant comes from the token, and the person and grant
    are read under that tenant, so a person of A named with B's id finds nothing."""
    alpha, beta = await world.organisation(), await world.organisation()
    person_of_alpha = await grant(world, alpha)
    token = await mint.token(person_of_alpha, org=str(beta.id))
    assert_refused(await ask(client, token), "revoked")


async def test_a_revoked_grant_or_a_deactivated_person_is_refused_on_the_next_request(
    client: httpx.AsyncClient, world: World, mint: Mint
) -> None:
    org = await world.organisation()
    revoked, deactivated = await grant(world, org), await grant(world, org, UserRole.MEMBER)
    tokens = {g.grant_id: await mint.token(g) for g in (revoked, deactivated)}
    for g in (revoked, deactivated):
        assert (await ask(client, tokens[g.grant_id])).status_code == 200
    async with world.sessions() as session, session.begin():
        row = await session.get(OAuthGrant, revoked.grant_id)
        assert row is not None
        row.revoked_at = utcnow()
        from db.unit_of_work import Actor, act_as

        act_as(session, Actor.operator(org.id))
    await deactivate(world, deactivated.user_id)
    for g in (revoked, deactivated):
        assert_refused(await ask(client, tokens[g.grant_id]), "revoked")


async def test_a_demoted_person_loses_the_scopes_of_the_old_role_at_once(
    client: httpx.AsyncClient, world: World, mint: Mint
) -> None:
    org = await world.organisation()
    admin = await grant(world, org)
    token = await mint.token(admin)
    before = (await ask(client, token)).json()["data"]["viewer"]["scopes"]
    await set_person(world, admin.user_id, role=UserRole.VIEWER)
    after = (await ask(client, token)).json()["data"]["viewer"]["scopes"]
    assert (before, after) == (["admin", "alliances:read"], ["alliances:read"])


async def test_rotation_publishes_the_new_key_first_and_keeps_old_tokens_valid(
    client: httpx.AsyncClient, world: World, mint: Mint, settings: Settings
) -> None:
    member = await grant(world, await world.organisation())
    old_token = await mint.token(member)
    old_kid = (await mint.signer()).kid
    async with world.sessions() as session, session.begin():
        new = await keys.rotate(session, settings.sealing_key, utcnow(), dt.timedelta(hours=1))
    published = [key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]]
    assert set(published) == {old_kid, new.kid}
    # the lead has not passed: the old key still signs, and its tokens still work
    assert (await mint.signer()).kid == old_kid
    assert (await ask(client, old_token)).status_code == 200
    async with world.sessions() as session, session.begin():
        later_signer = await keys.signer(
            session, settings.sealing_key, utcnow() + dt.timedelta(hours=2)
        )
        gone = await keys.published(
            session, utcnow() + dt.timedelta(hours=2), dt.timedelta(seconds=300)
        )
    assert later_signer.kid == new.kid
    # an hour after the old key stopped signing, its last token has long expired
    assert [key["kid"] for key in gone] == [new.kid]


async def test_the_portal_publishes_only_public_keys(client: httpx.AsyncClient, mint: Mint) -> None:
    await mint.signer()  # the first sign-in of a fresh database makes the key
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert (key["kty"], key["alg"], key["use"]) == ("EC", "ES256", "sig")
    assert "d" not in key


async def test_what_a_signed_in_person_does_is_attributed_to_them_and_their_sign_in(
    client: httpx.AsyncClient, world: World, mint: Mint
) -> None:
    """The audit trail (and every signature, which takes the same actor) names the person
    and the grant they acted through, with the kind of credential."""
    from sqlalchemy import select

    from db.models import AuditEntry
    from tests.builders import gql

    org = await world.organisation()
    admin = await grant(world, org)
    token = await mint.token(admin, scope="alliances:read alliances:write")
    body = await gql(
        client,
        token,
        "mutation($input: CreateAllianceInput!) { createAlliance(input: $input) "
        "{ alliance { id } userErrors { code } } }",
        {"input": {"name": "Signed-in alliance"}},
    )
    assert body["data"]["createAlliance"]["userErrors"] == [], body
    async with world.sessions() as session:
        entries = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.alliance_id.is_not(None)))
        )
    assert entries
    assert {(e.user_id, e.credential_kind.value, e.credential_id) for e in entries} == {
        (admin.user_id, "access_token", admin.grant_id)
    }


async def test_a_deactivated_persons_api_token_is_refused_even_if_not_revoked(
    client: httpx.AsyncClient, world: World
) -> None:
    """Deactivation revokes the person's tokens; should one escape (made in a transaction
    racing the deactivation), the lookup reads the creator's status on every request."""
    org = await world.organisation()
    token = await world.token(org, role=UserRole.MEMBER)
    assert (await ask(client, token)).status_code == 200
    await deactivate(world, org.users[UserRole.MEMBER])
    assert_refused(await ask(client, token), "invalid, expired or revoked")


async def test_a_suspended_clients_sign_ins_pause_with_it(
    client: httpx.AsyncClient, world: World, mint: Mint
) -> None:
    from sqlalchemy import update

    from db.identity import OAuthClient

    member = await grant(world, await world.organisation(), UserRole.MEMBER)
    token = await mint.token(member)
    assert (await ask(client, token)).status_code == 200
    async with world.sessions() as session, session.begin():
        await session.execute(
            update(OAuthClient)
            .where(OAuthClient.client_id == member.client_id)
            .values(suspended_at=utcnow())
        )
    assert_refused(await ask(client, token), "revoked")
