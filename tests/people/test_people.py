"""The people of an organisation through GraphQL: people, node, invitePerson,
changePersonRole, deactivatePerson (and the credentials it ends), reactivatePerson,
adoptOAuthClient; and the e-mail addresses of seat representatives."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select, update

from auth.api_tokens import hash_token
from auth.scopes import ALL_SCOPES, Scope
from db.enums import UserRole, UserStatus
from db.governance import SeatRepresentative
from db.identity import OAuthClient, OAuthGrant, RefreshToken
from db.models import ApiToken, AuditEntry, User, utcnow
from db.unit_of_work import Actor, act_as
from portal.api_tokens import issue_token
from tests.builders import Org, World, gid, gql, succeeded, top_level_codes, user_errors

USER_ERRORS = "userErrors { field code message }"
PERSON = "person { id displayName email role status signedInAt invitedAt deactivatedAt }"
MUTATIONS = {
    "invitePerson": ("InvitePersonInput", PERSON),
    "changePersonRole": ("ChangePersonRoleInput", PERSON),
    "deactivatePerson": (
        "DeactivatePersonInput",
        f"{PERSON} revokedApiTokens revokedSignIns suspendedOAuthClients",
    ),
    "reactivatePerson": ("ReactivatePersonInput", PERSON),
    "adoptOAuthClient": ("AdoptOAuthClientInput", "oauthClient { id ownerUserId suspendedAt }"),
}
PEOPLE = """
query People($status: PersonStatus, $role: PersonRole, $search: String, $first: Int,
             $after: String) {
  people(status: $status, role: $role, search: $search, first: $first, after: $after) {
    nodes { id displayName email role status }
    pageInfo { hasNextPage endCursor }
  }
}
"""
NODE = "query Node($id: ID!) { node(id: $id) { __typename ... on Person { id email status } } }"
VIEWER = "{ viewer { scopes } }"


def mutation(name: str) -> str:
    input_type, selection = MUTATIONS[name]
    return f"""
mutation Run($input: {input_type}!) {{
  {name}(input: $input) {{ {selection} {USER_ERRORS} }}
}}"""


async def run(client: httpx.AsyncClient, token: str, name: str, **input_: Any) -> dict[str, Any]:
    return await gql(client, token, mutation(name), {"input": input_})


def person(user_id: uuid.UUID) -> str:
    return gid("Person", user_id)


async def add_person(
    world: World,
    org: Org,
    name: str,
    *,
    role: UserRole = UserRole.ADMIN,
    status: UserStatus = UserStatus.ACTIVE,
) -> uuid.UUID:
    """A person of ``org`` made by the operator; signed in once unless INVITED."""
    user = User(
        id=uuid.uuid4(),
        organisation_id=org.id,
        email=f"{name}@{org.slug}.test",
        display_name=name.title(),
        role=role,
        status=status,
        issuer=None if status is UserStatus.INVITED else "https://idp.test",
        subject=None if status is UserStatus.INVITED else f"{org.slug}:{name}",
    )
    async with world.sessions() as session, session.begin():
        act_as(session, Actor.operator(org.id))
        session.add(user)
    return user.id


async def token_of(world: World, org: Org, user_id: uuid.UUID | None) -> str:
    """An API token of ``org`` created by ``user_id`` (the operator: None)."""
    async with world.sessions() as session, session.begin():
        act_as(session, Actor.operator(org.id))
        issued = await issue_token(
            session,
            organisation_id=org.id,
            created_by_user_id=user_id,
            name="test",
            scopes=ALL_SCOPES,
            expires_at=utcnow() + dt.timedelta(days=1),
            hashing_secret=world.secret,
        )
    return issued.secret


async def oauth_client(
    world: World, org: Org, owner: uuid.UUID, name: str = "Portal app"
) -> uuid.UUID:
    client = OAuthClient(
        id=uuid.uuid4(),
        client_id=f"apc_{uuid.uuid4().hex}",
        organisation_id=org.id,
        name=name,
        redirect_uris=["https://app.test/callback"],
        is_public=True,
        created_by_user_id=owner,
        owner_user_id=owner,
    )
    async with world.sessions() as session, session.begin():
        act_as(session, Actor.operator(org.id))
        session.add(client)
    return client.id


async def sign_in(world: World, org: Org, user_id: uuid.UUID, client_id: uuid.UUID) -> uuid.UUID:
    """A sign-in (grant) of a person at a client, with a live refresh token, as the
    sign-in endpoints leave it."""
    grant = OAuthGrant(
        id=uuid.uuid4(),
        organisation_id=org.id,
        user_id=user_id,
        client_id=client_id,
        scopes=["alliances:read"],
    )
    async with world.sessions() as session, session.begin():
        act_as(session, Actor.operator(org.id))
        session.add(grant)
        await session.flush()
        # refresh tokens are the sign-in endpoints' bookkeeping, not tracked: a statement
        await session.execute(
            insert(RefreshToken).values(
                token_hash=hashlib.sha256(grant.id.bytes).digest(),
                grant_id=grant.id,
                organisation_id=org.id,
                expires_at=utcnow() + dt.timedelta(days=30),
            )
        )
    return grant.id


async def state(world: World) -> dict[str, Any]:
    """Everything these mutations could change, read past row-level security."""
    async with world.sessions() as session:
        users = (await session.scalars(select(User).order_by(User.id))).all()
        tokens = (await session.scalars(select(ApiToken).order_by(ApiToken.id))).all()
        grants = (await session.scalars(select(OAuthGrant).order_by(OAuthGrant.id))).all()
        clients = (await session.scalars(select(OAuthClient).order_by(OAuthClient.id))).all()
        audit = (await session.scalars(select(AuditEntry.id))).all()
    return {
        "users": [(u.id, u.email, u.role, u.status, u.deactivated_at) for u in users],
        "tokens": [(t.id, t.revoked_at, t.revoked_by_user_id) for t in tokens],
        "grants": [(g.id, g.revoked_at, g.revoked_reason) for g in grants],
        "clients": [(c.id, c.owner_user_id, c.suspended_at, c.revoked_at) for c in clients],
        "audit": len(audit),
    }


async def status_of(client: httpx.AsyncClient, token: str) -> int:
    response = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


@dataclass
class Acme:
    world: World
    client: httpx.AsyncClient
    org: Org
    admin_token: str

    def user(self, role: UserRole) -> uuid.UUID:
        return self.org.users[role]

    async def run(self, name: str, **input_: Any) -> dict[str, Any]:
        return await run(self.client, self.admin_token, name, **input_)

    async def ok(self, name: str, **input_: Any) -> dict[str, Any]:
        return succeeded(await self.run(name, **input_), name)

    async def people(self, token: str | None = None, **variables: Any) -> list[dict[str, Any]]:
        body = await gql(self.client, token or self.admin_token, PEOPLE, variables)
        assert "errors" not in body, body
        nodes: list[dict[str, Any]] = body["data"]["people"]["nodes"]
        return nodes


@pytest.fixture
async def acme(client: httpx.AsyncClient, world: World) -> Acme:
    org = await world.organisation("acme")
    return Acme(world, client, org, await world.token(org))


# --- inviting ---------------------------------------------------------------------------------


async def test_an_admin_invites_a_person(acme: Acme) -> None:
    payload = await acme.ok(
        "invitePerson", email=" Jane.Doe@Acme.EXAMPLE ", displayName=" Jane Doe ", role="MEMBER"
    )

    invited = payload["person"]
    assert invited["email"] == "Jane.Doe@acme.example"  # the domain is lower-cased
    assert (invited["displayName"], invited["role"], invited["status"]) == (
        "Jane Doe",
        "MEMBER",
        "INVITED",
    )
    assert invited["signedInAt"] is None
    assert invited["deactivatedAt"] is None
    async with acme.world.sessions() as session:
        row = await session.scalar(select(User).where(User.email == "Jane.Doe@acme.example"))
    assert row is not None
    assert (row.invited_by_user_id, row.issuer, row.subject) == (acme.org.admin, None, None)
    assert invited["id"] == person(row.id)
    node = await gql(acme.client, acme.admin_token, NODE, {"id": invited["id"]})
    assert node["data"]["node"] == {
        "__typename": "Person",
        "id": invited["id"],
        "email": "Jane.Doe@acme.example",
        "status": "INVITED",
    }
    async with acme.world.sessions() as session:
        actions = (
            await session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == row.id))
        ).all()
    assert actions == ["user.created"]


@pytest.mark.parametrize(
    ("email", "name", "field"),
    [
        pytest.param("MEMBER@ACME.TEST", "Twin", "email", id="duplicate-any-case"),
        pytest.param("not-an-address", "Nobody", "email", id="no-at"),
        pytest.param("a@b", "Nobody", "email", id="no-dot-domain"),
        pytest.param("two words@acme.test", "Nobody", "email", id="space"),
        pytest.param("x" * 310 + "@acme.example", "Long", "email", id="over-320"),
        pytest.param("new@acme.test", "   ", "displayName", id="blank-name"),
        pytest.param("new@acme.test", "n" * 201, "displayName", id="long-name"),
    ],
)
async def test_a_bad_invitation_changes_nothing(
    acme: Acme, email: str, name: str, field: str
) -> None:
    before = await state(acme.world)

    body = await acme.run("invitePerson", email=email, displayName=name, role="VIEWER")

    assert user_errors(body, "invitePerson") == [(field, "BAD_USER_INPUT")]
    assert body["data"]["invitePerson"]["person"] is None
    assert await state(acme.world) == before


async def test_a_deactivated_persons_address_is_still_taken(acme: Acme) -> None:
    await acme.ok("deactivatePerson", person=person(acme.user(UserRole.VIEWER)))

    body = await acme.run(
        "invitePerson", email="viewer@acme.test", displayName="Again", role="VIEWER"
    )

    assert user_errors(body, "invitePerson") == [("email", "BAD_USER_INPUT")]
    assert "reactivate" in body["data"]["invitePerson"]["userErrors"][0]["message"]


# --- listing ----------------------------------------------------------------------------------


async def test_people_are_listed_by_name_with_filters(acme: Acme) -> None:
    # lower-case names: their order is the same under any collation
    await acme.ok(
        "invitePerson", email="zoe@partner.example", displayName="zoe quinn", role="ADMIN"
    )
    await acme.ok("invitePerson", email="ann_b@acme.test", displayName="ann berg", role="MEMBER")

    everyone = await acme.people()
    assert [p["displayName"] for p in everyone] == [
        "acme admin",
        "acme member",
        "acme viewer",
        "ann berg",
        "zoe quinn",
    ]

    def shown(nodes: list[dict[str, Any]]) -> set[str]:
        return {p["displayName"] for p in nodes}

    assert shown(await acme.people(status="INVITED")) == {"ann berg", "zoe quinn"}
    assert shown(await acme.people(role="ADMIN")) == {"acme admin", "zoe quinn"}
    assert shown(await acme.people(status="ACTIVE", role="ADMIN")) == {"acme admin"}
    assert shown(await acme.people(search="BERG")) == {"ann berg"}  # name, any case
    assert shown(await acme.people(search="PARTNER.example")) == {"zoe quinn"}  # e-mail
    assert shown(await acme.people(search="_")) == {"ann berg"}  # a literal underscore
    assert shown(await acme.people(search="%")) == set()  # a literal percent sign

    # pages follow the same order, without gaps or repeats
    first = await gql(acme.client, acme.admin_token, PEOPLE, {"first": 2})
    page = first["data"]["people"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await gql(
        acme.client, acme.admin_token, PEOPLE, {"first": 10, "after": page["pageInfo"]["endCursor"]}
    )
    paged = page["nodes"] + rest["data"]["people"]["nodes"]
    assert [p["id"] for p in paged] == [p["id"] for p in everyone]


async def test_a_too_long_search_is_refused(acme: Acme) -> None:
    body = await gql(acme.client, acme.admin_token, PEOPLE, {"search": "x" * 201})
    assert top_level_codes(body) == ["BAD_USER_INPUT"]


# --- who may read and change ------------------------------------------------------------------


@pytest.mark.parametrize("role", [UserRole.MEMBER, UserRole.VIEWER])
async def test_members_read_their_people_but_change_nothing(acme: Acme, role: UserRole) -> None:
    token = await acme.world.token(acme.org, role=role)
    client_id = await oauth_client(acme.world, acme.org, acme.org.admin)
    gone = await add_person(acme.world, acme.org, "gone", status=UserStatus.DEACTIVATED)
    assert len(await acme.people(token)) == 4
    before = await state(acme.world)

    attempts = {
        "invitePerson": {"email": "new@acme.test", "displayName": "New", "role": "ADMIN"},
        "changePersonRole": {"person": person(acme.user(role)), "role": "ADMIN"},
        "deactivatePerson": {"person": person(acme.org.admin)},
        "reactivatePerson": {"person": person(gone)},
        "adoptOAuthClient": {"oauthClient": gid("OAuthClient", client_id)},
    }
    for name, input_ in attempts.items():
        body = await run(acme.client, token, name, **input_)
        assert top_level_codes(body) == ["FORBIDDEN"], name
        assert body["data"] is None, name
    assert await state(acme.world) == before


async def test_people_need_alliances_read(acme: Acme) -> None:
    token = await acme.world.token(acme.org, scopes=frozenset({Scope.PLANS_READ}))

    assert top_level_codes(await gql(acme.client, token, PEOPLE)) == ["FORBIDDEN"]
    node = await gql(acme.client, token, NODE, {"id": person(acme.org.admin)})
    assert node["data"]["node"] is None


async def test_another_organisations_admin_finds_no_one(acme: Acme) -> None:
    other = await acme.world.organisation("other")
    their_token = await acme.world.token(other)
    client_id = await oauth_client(acme.world, acme.org, acme.org.admin)
    await acme.ok("deactivatePerson", person=person(acme.user(UserRole.VIEWER)))
    before = await state(acme.world)

    listed = await acme.people(their_token)
    assert {p["displayName"] for p in listed} == {"other admin", "other member", "other viewer"}
    node = await gql(acme.client, their_token, NODE, {"id": person(acme.user(UserRole.MEMBER))})
    assert node["data"]["node"] is None
    member, viewer = person(acme.user(UserRole.MEMBER)), person(acme.user(UserRole.VIEWER))
    attempts = {
        "changePersonRole": ({"person": member, "role": "VIEWER"}, "person"),
        "deactivatePerson": ({"person": member}, "person"),
        "reactivatePerson": ({"person": viewer}, "person"),
        "adoptOAuthClient": ({"oauthClient": gid("OAuthClient", client_id)}, "oauthClient"),
    }
    for name, (input_, field) in attempts.items():
        body = await run(acme.client, their_token, name, **input_)
        assert user_errors(body, name) == [(field, "NOT_FOUND")], name
    assert await state(acme.world) == before
    # an invitation is always into the inviter's own organisation, whatever the address
    body = await run(
        acme.client,
        their_token,
        "invitePerson",
        email="admin@acme.test",
        displayName="Lookalike",
        role="ADMIN",
    )
    invited = succeeded(body, "invitePerson")["person"]
    async with acme.world.sessions() as session:
        row = await session.scalar(select(User).where(User.display_name == "Lookalike"))
    assert row is not None
    assert row.organisation_id == other.id
    assert invited["id"] == person(row.id)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param("not an id", "BAD_USER_INPUT", id="malformed"),
        pytest.param("APITOKEN", "NOT_FOUND", id="another-type"),
        pytest.param("UNKNOWN", "NOT_FOUND", id="nobody"),
    ],
)
async def test_ids_that_name_no_person(acme: Acme, value: str, code: str) -> None:
    if value == "APITOKEN":
        value = gid("ApiToken", acme.org.admin)
    if value == "UNKNOWN":
        value = person(uuid.uuid4())
    before = await state(acme.world)

    body = await acme.run("deactivatePerson", person=value)

    assert user_errors(body, "deactivatePerson") == [("person", code)]
    assert await state(acme.world) == before


# --- roles and the last admin -----------------------------------------------------------------


async def test_an_admin_changes_roles_and_tokens_follow(acme: Acme) -> None:
    member = acme.user(UserRole.MEMBER)
    member_token = await acme.world.token(acme.org, role=UserRole.MEMBER)

    promoted = await acme.ok("changePersonRole", person=person(member), role="ADMIN")
    assert promoted["person"]["role"] == "ADMIN"
    scopes = (await gql(acme.client, member_token, VIEWER))["data"]["viewer"]["scopes"]
    assert "admin" in scopes

    demoted = await acme.ok("changePersonRole", person=person(member), role="VIEWER")
    assert demoted["person"]["role"] == "VIEWER"
    scopes = (await gql(acme.client, member_token, VIEWER))["data"]["viewer"]["scopes"]
    assert scopes
    assert all(scope.endswith(":read") for scope in scopes)

    # the same role again changes nothing, not even the audit trail
    before = await state(acme.world)
    await acme.ok("changePersonRole", person=person(member), role="VIEWER")
    assert await state(acme.world) == before


async def test_the_last_active_admin_keeps_the_role(acme: Acme) -> None:
    admin = acme.org.admin
    # an invited admin does not count while an active one exists: they may never sign in
    await add_person(acme.world, acme.org, "pending", status=UserStatus.INVITED)
    # nor does a deactivated one
    await add_person(acme.world, acme.org, "gone", status=UserStatus.DEACTIVATED)
    operator = await acme.world.token(acme.org, role=None)
    before = await state(acme.world)

    body = await acme.run("changePersonRole", person=person(admin), role="MEMBER")

    assert user_errors(body, "changePersonRole") == [("person", "FORBIDDEN")]
    assert "last active admin" in body["data"]["changePersonRole"]["userErrors"][0]["message"]
    assert await state(acme.world) == before
    # through an operator's token (no person of its own) it cannot be deactivated either
    body = await run(acme.client, operator, "deactivatePerson", person=person(admin))
    assert user_errors(body, "deactivatePerson") == [("person", "FORBIDDEN")]
    assert await state(acme.world) == before

    # with a second active admin, the first may step down; then the second is the last
    second = await add_person(acme.world, acme.org, "second")
    await acme.ok("changePersonRole", person=person(admin), role="MEMBER")
    second_token = await token_of(acme.world, acme.org, second)
    body = await run(
        acme.client, second_token, "changePersonRole", person=person(second), role="VIEWER"
    )
    assert user_errors(body, "changePersonRole") == [("person", "FORBIDDEN")]


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(acme: Acme) -> None:
    """Each change locks the organisation's people first: the second sees the first's
    result and is refused, whichever comes first."""
    second = await add_person(acme.world, acme.org, "second")
    second_token = await token_of(acme.world, acme.org, second)

    bodies = await asyncio.gather(
        run(
            acme.client, acme.admin_token, "changePersonRole", person=person(second), role="MEMBER"
        ),
        run(
            acme.client,
            second_token,
            "changePersonRole",
            person=person(acme.org.admin),
            role="MEMBER",
        ),
    )

    def refused(body: dict[str, Any]) -> bool:
        # the loser is refused by the guard, or, if it authenticated after the winner
        # committed, already as a member (its token lost the admin scope)
        if top_level_codes(body) == ["FORBIDDEN"]:
            return True
        return user_errors(body, "changePersonRole") == [("person", "FORBIDDEN")]

    assert sorted(refused(body) for body in bodies) == [False, True]
    admins = await acme.people(role="ADMIN", status="ACTIVE")
    assert len(admins) == 1


async def test_a_new_organisations_invited_admin_is_not_removed(acme: Acme) -> None:
    """Before anyone signed in, the invited first admin (acting through a bootstrap token)
    is the admin who can still sign in: the only one, it keeps the role."""
    fresh = await acme.world.organisation("fresh")
    first = await add_person(acme.world, fresh, "first", status=UserStatus.INVITED)
    bootstrap = await token_of(acme.world, fresh, first)
    operator = await acme.world.token(fresh, role=None)
    async with acme.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(fresh.id))
        # a statement, not a tracked change: set-up, not the API under test
        await session.execute(
            update(User)
            .where(User.organisation_id == fresh.id, User.id != first)
            .values(role=UserRole.MEMBER)
        )
    before = await state(acme.world)

    body = await run(
        acme.client, bootstrap, "changePersonRole", person=person(first), role="MEMBER"
    )
    assert user_errors(body, "changePersonRole") == [("person", "FORBIDDEN")]
    body = await run(acme.client, operator, "deactivatePerson", person=person(first))
    assert user_errors(body, "deactivatePerson") == [("person", "FORBIDDEN")]
    assert await state(acme.world) == before


async def test_no_one_deactivates_themselves(acme: Acme) -> None:
    await add_person(acme.world, acme.org, "second")
    before = await state(acme.world)

    body = await acme.run("deactivatePerson", person=person(acme.org.admin))

    assert user_errors(body, "deactivatePerson") == [("person", "FORBIDDEN")]
    assert await state(acme.world) == before
    assert await status_of(acme.client, acme.admin_token) == 200


# --- deactivation ends every credential -------------------------------------------------------


@dataclass
class Leaver:
    """A second admin with every kind of credential, about to be deactivated."""

    id: uuid.UUID
    token: str
    grant: uuid.UUID
    client: uuid.UUID
    others_grant: uuid.UUID
    """The member's sign-in through the leaver's client: it is the member's, and stays."""
    others_token: str


@pytest.fixture
async def leaver(acme: Acme) -> Leaver:
    world, org = acme.world, acme.org
    leaver_id = await add_person(world, org, "leaver")
    token = await token_of(world, org, leaver_id)
    old = await token_of(world, org, leaver_id)
    async with world.sessions() as session, session.begin():
        act_as(session, Actor.operator(org.id))
        await session.execute(
            update(ApiToken)
            .where(ApiToken.token_hash == hash_token(old, world.secret))
            .values(revoked_at=utcnow() - dt.timedelta(days=1))
        )
    client = await oauth_client(world, org, leaver_id)
    others_client = await oauth_client(world, org, org.admin, name="Admin's app")
    grant = await sign_in(world, org, leaver_id, others_client)
    others_grant = await sign_in(world, org, acme.user(UserRole.MEMBER), client)
    others_token = await world.token(org, role=UserRole.MEMBER)
    return Leaver(leaver_id, token, grant, client, others_grant, others_token)


async def test_deactivating_a_person_ends_their_credentials(acme: Acme, leaver: Leaver) -> None:
    assert await status_of(acme.client, leaver.token) == 200
    async with acme.world.sessions() as session:
        audited_before = await session.scalar(select(func.max(AuditEntry.id)))

    payload = await acme.ok("deactivatePerson", person=person(leaver.id))

    assert payload["person"]["status"] == "DEACTIVATED"
    assert payload["person"]["deactivatedAt"] is not None
    assert (
        payload["revokedApiTokens"],
        payload["revokedSignIns"],
        payload["suspendedOAuthClients"],
    ) == (1, 1, 1)
    # the token they created is refused at the next request
    assert await status_of(acme.client, leaver.token) == 401
    async with acme.world.sessions() as session:
        tokens = (
            await session.scalars(select(ApiToken).where(ApiToken.created_by_user_id == leaver.id))
        ).all()
        grant = await session.get(OAuthGrant, leaver.grant)
        others_grant = await session.get(OAuthGrant, leaver.others_grant)
        client = await session.get(OAuthClient, leaver.client)
        refresh = await session.scalar(
            select(RefreshToken).where(RefreshToken.grant_id == leaver.grant)
        )
        audit = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.user_id).where(
                    AuditEntry.id > (audited_before or 0)
                )
            )
        ).all()
    assert all(t.revoked_at is not None for t in tokens)
    revoked_now = [t for t in tokens if t.revoked_by_user_id == acme.org.admin]
    assert len(revoked_now) == 1  # the one revoked before keeps its own record
    assert grant is not None
    assert grant.revoked_at is not None
    assert grant.revoked_reason == "person_deactivated"
    assert refresh is not None  # it dies with its grant
    assert client is not None
    assert client.suspended_at is not None
    assert client.owner_user_id == leaver.id
    # what others hold is theirs: the member's sign-in through the client and their token
    assert others_grant is not None
    assert others_grant.revoked_at is None
    assert await status_of(acme.client, leaver.others_token) == 200
    # every change is recorded, as the acting admin's
    assert sorted(action for action, _ in audit) == [
        "apitoken.updated",
        "oauthclient.updated",
        "oauthgrant.updated",
        "user.updated",
    ]
    assert {user_id for _, user_id in audit} == {acme.org.admin}


async def test_deactivating_twice_changes_nothing_more(acme: Acme, leaver: Leaver) -> None:
    await acme.ok("deactivatePerson", person=person(leaver.id))
    before = await state(acme.world)

    again = await acme.ok("deactivatePerson", person=person(leaver.id))

    assert (again["revokedApiTokens"], again["revokedSignIns"], again["suspendedOAuthClients"]) == (
        0,
        0,
        0,
    )
    assert await state(acme.world) == before


async def test_another_admin_adopts_a_suspended_client(acme: Acme, leaver: Leaver) -> None:
    await acme.ok("deactivatePerson", person=person(leaver.id))
    client = gid("OAuthClient", leaver.client)
    # an operator's token is no person to answer for it
    operator = await acme.world.token(acme.org, role=None)
    before = await state(acme.world)
    body = await run(acme.client, operator, "adoptOAuthClient", oauthClient=client)
    assert user_errors(body, "adoptOAuthClient") == [("oauthClient", "FORBIDDEN")]
    assert await state(acme.world) == before

    payload = await acme.ok("adoptOAuthClient", oauthClient=client)

    assert payload["oauthClient"] == {
        "id": client,
        "ownerUserId": str(acme.org.admin),
        "suspendedAt": None,
    }
    async with acme.world.sessions() as session:
        row = await session.get(OAuthClient, leaver.client)
    assert row is not None
    assert (row.owner_user_id, row.suspended_at) == (acme.org.admin, None)


async def test_a_revoked_client_is_not_adopted(acme: Acme, leaver: Leaver) -> None:
    async with acme.world.sessions() as session, session.begin():
        act_as(session, Actor.operator(acme.org.id))
        row = await session.get(OAuthClient, leaver.client)
        assert row is not None
        row.revoked_at = utcnow()
    before = await state(acme.world)

    body = await acme.run("adoptOAuthClient", oauthClient=gid("OAuthClient", leaver.client))

    assert user_errors(body, "adoptOAuthClient") == [("oauthClient", "BAD_USER_INPUT")]
    assert await state(acme.world) == before


async def test_reactivation_restores_the_person_not_their_credentials(
    acme: Acme, leaver: Leaver
) -> None:
    await acme.ok("deactivatePerson", person=person(leaver.id))

    payload = await acme.ok("reactivatePerson", person=person(leaver.id))

    assert payload["person"]["status"] == "ACTIVE"
    assert payload["person"]["deactivatedAt"] is None
    assert await status_of(acme.client, leaver.token) == 401
    async with acme.world.sessions() as session:
        grant = await session.get(OAuthGrant, leaver.grant)
        client = await session.get(OAuthClient, leaver.client)
    assert grant is not None
    assert grant.revoked_at is not None
    assert client is not None
    assert client.suspended_at is not None
    # reactivating an active person changes nothing
    before = await state(acme.world)
    await acme.ok("reactivatePerson", person=person(leaver.id))
    assert await state(acme.world) == before


async def test_a_pending_invitation_is_withdrawn_and_can_be_renewed(acme: Acme) -> None:
    """An invitation nobody took up is deactivated without an identity; reactivating it
    makes it pending again, still without one."""
    invited = await acme.ok(
        "invitePerson", email="later@acme.test", displayName="Later", role="MEMBER"
    )
    withdrawn = await acme.ok("deactivatePerson", person=invited["person"]["id"])
    assert withdrawn["person"]["status"] == "DEACTIVATED"
    renewed = await acme.ok("reactivatePerson", person=invited["person"]["id"])
    assert renewed["person"]["status"] == "INVITED"


# --- representatives' e-mail addresses --------------------------------------------------------

REPRESENTATIVES = """
query Committees($alliance: ID!) {
  committees(alliance: $alliance) {
    nodes { seats { organisation { slug }
      representatives { displayName email organisation { name } } } }
  }
}
"""


async def test_a_representatives_address_is_shown_to_their_own_organisation_only(
    client: httpx.AsyncClient, world: World
) -> None:
    lead = await world.organisation("lead")
    partner = await world.organisation("partner")
    alliance = await world.alliance(lead, partner)
    steering = await world.steering(alliance)
    seat = await world.seat(steering, partner)
    async with world.sessions() as session, session.begin():
        act_as(session, Actor.operator(partner.id))
        session.add(
            SeatRepresentative(
                id=uuid.uuid4(), alliance_id=alliance, seat_id=seat, user_id=partner.admin
            )
        )

    async def seen_by(org: Org) -> list[dict[str, Any]]:
        variables = {"alliance": gid("Alliance", alliance)}
        body = await gql(client, await world.token(org), REPRESENTATIVES, variables)
        assert "errors" not in body, body
        seats = body["data"]["committees"]["nodes"][0]["seats"]
        found: list[dict[str, Any]] = next(
            s["representatives"] for s in seats if s["organisation"]["slug"] == "partner"
        )
        return found

    assert await seen_by(lead) == [
        {"displayName": "partner admin", "email": None, "organisation": {"name": "Partner"}}
    ]
    assert await seen_by(partner) == [
        {
            "displayName": "partner admin",
            "email": "admin@partner.test",
            "organisation": {"name": "Partner"},
        }
    ]
