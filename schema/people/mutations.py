"""The people mutations: their payloads and the resolvers that call the domain. Every one
needs the admin scope (a member's or viewer's credential is refused with FORBIDDEN)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import identity, models
from portal import people
from schema.context import Info
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.scopes import Needs
from schema.oauth_clients.types import OAuthClient
from schema.people.inputs import (
    AdoptOAuthClientInput,
    ChangePersonRoleInput,
    DeactivatePersonInput,
    InvitePersonInput,
    ReactivatePersonInput,
)
from schema.people.types import Person


@strawberry.type(description="Result of invitePerson.")
class InvitePersonPayload:
    person: Person | None = strawberry.field(description="The invited person.")
    user_errors: list[UserError] = strawberry.field(description="Why nobody was invited.")


@strawberry.type(description="Result of changePersonRole.")
class ChangePersonRolePayload:
    person: Person | None = strawberry.field(description="The person, with their new role.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of deactivatePerson.")
class DeactivatePersonPayload:
    person: Person | None = strawberry.field(description="The deactivated person.")
    revoked_api_tokens: int | None = strawberry.field(
        description="How many API tokens the person created were revoked now."
    )
    revoked_sign_ins: int | None = strawberry.field(
        description="How many of the person's sign-ins (OAuth grants) were revoked now."
    )
    suspended_oauth_clients: int | None = strawberry.field(
        description="How many OAuth clients the person owned were suspended now.",
        name="suspendedOAuthClients",
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of reactivatePerson.")
class ReactivatePersonPayload:
    person: Person | None = strawberry.field(description="The reactivated person.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type(description="Result of adoptOAuthClient.", name="AdoptOAuthClientPayload")
class AdoptOAuthClientPayload:
    oauth_client: OAuthClient | None = strawberry.field(
        description="The client, now yours and no longer suspended."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Invite a person to your organisation (admins).",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def invite_person(
        self,
        info: Info,
        input: Annotated[InvitePersonInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> InvitePersonPayload:
        ctx = info.context

        async def invite() -> models.User:
            return await people.invite_person(
                ctx.session,
                ctx.principal,
                email=input.email,
                display_name=input.display_name,
                role=input.role,
            )

        row, errors = await guarded(ctx.session, invite)
        return InvitePersonPayload(
            person=Person.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Change the role of a person of your organisation (admins).",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def change_person_role(
        self,
        info: Info,
        input: Annotated[ChangePersonRoleInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> ChangePersonRolePayload:
        ctx = info.context

        async def change() -> models.User:
            person_id = expect_global_id(input.person, "Person", "person")
            return await people.change_person_role(
                ctx.session, ctx.principal, person_id, input.role
            )

        row, errors = await guarded(ctx.session, change)
        return ChangePersonRolePayload(
            person=Person.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Deactivate a person of your organisation and end their credentials (admins).",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def deactivate_person(
        self,
        info: Info,
        input: Annotated[DeactivatePersonInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> DeactivatePersonPayload:
        ctx = info.context

        async def deactivate() -> people.Deactivation:
            person_id = expect_global_id(input.person, "Person", "person")
            return await people.deactivate_person(ctx.session, ctx.principal, person_id)

        done, errors = await guarded(ctx.session, deactivate)
        return DeactivatePersonPayload(
            person=Person.from_model(done.person) if done else None,
            revoked_api_tokens=done.revoked_api_tokens if done else None,
            revoked_sign_ins=done.revoked_grants if done else None,
            suspended_oauth_clients=done.suspended_oauth_clients if done else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="Let a deactivated person of your organisation sign in again (admins).",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def reactivate_person(
        self,
        info: Info,
        input: Annotated[ReactivatePersonInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> ReactivatePersonPayload:
        ctx = info.context

        async def reactivate() -> models.User:
            person_id = expect_global_id(input.person, "Person", "person")
            return await people.reactivate_person(ctx.session, ctx.principal, person_id)

        row, errors = await guarded(ctx.session, reactivate)
        return ReactivatePersonPayload(
            person=Person.from_model(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="Become the owner of an OAuth client of your organisation, ending its "
        "suspension (admins).",
        name="adoptOAuthClient",
        extensions=[Needs(Scope.ADMIN)],
    )
    async def adopt_oauth_client(
        self,
        info: Info,
        input: Annotated[AdoptOAuthClientInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> AdoptOAuthClientPayload:
        ctx = info.context

        async def adopt() -> identity.OAuthClient:
            client_id = expect_global_id(input.oauth_client, "OAuthClient", "oauthClient")
            return await people.adopt_oauth_client(ctx.session, ctx.principal, client_id)

        row, errors = await guarded(ctx.session, adopt)
        return AdoptOAuthClientPayload(
            oauth_client=OAuthClient.from_model(row) if row else None, user_errors=errors
        )
