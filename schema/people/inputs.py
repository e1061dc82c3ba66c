"""What the people mutations take: their input types."""

from __future__ import annotations

import strawberry

from portal import people
from schema.people.enums import UserRole

_ADMINS = "Admins of your organisation only (the admin scope)."


@strawberry.input(
    description="Invite a person to your organisation. " + _ADMINS + " The invitation is "
    "pending (INVITED) until they first sign in through your organisation's identity "
    "provider with this e-mail address."
)
class InvitePersonInput:
    email: str = strawberry.field(
        description="Their e-mail address (at most 320 characters; its domain is stored in "
        "lower case). No other person of your organisation may have it, deactivated ones "
        "included (BAD_USER_INPUT on email)."
    )
    display_name: str = strawberry.field(
        description=f"Their name (1 to {people.DISPLAY_NAME_MAX} characters)."
    )
    role: UserRole = strawberry.field(description="What they may do once they sign in.")


@strawberry.input(
    description="Give a person of your organisation another role. " + _ADMINS + " The last "
    "active admin keeps the role (FORBIDDEN); the API tokens the person made are narrowed "
    "to the new role from their next request."
)
class ChangePersonRoleInput:
    person: strawberry.ID = strawberry.field(description="The person's ID.")
    role: UserRole = strawberry.field(description="Their new role.")


@strawberry.input(
    description="Deactivate a person of your organisation: they can no longer sign in, the "
    "API tokens they created and their sign-ins are revoked, and the OAuth clients they "
    "own are suspended until another admin adopts them (adoptOAuthClient). "
    + _ADMINS
    + " You cannot deactivate yourself or the last active admin (FORBIDDEN). A pending "
    "invitation is withdrawn so."
)
class DeactivatePersonInput:
    person: strawberry.ID = strawberry.field(description="The person's ID.")


@strawberry.input(
    description="Let a deactivated person of your organisation sign in again (ACTIVE, or "
    "INVITED if they never signed in). " + _ADMINS + " What the deactivation revoked "
    "stays revoked: they need new API tokens, and suspended clients must be adopted."
)
class ReactivatePersonInput:
    person: strawberry.ID = strawberry.field(description="The person's ID.")


@strawberry.input(
    description="Become the owner of one of your organisation's OAuth clients, which "
    "stops being suspended: how a client whose owner was deactivated works again. "
    + _ADMINS
    + " Signed in as a person, not through an operator's token; a revoked client "
    "cannot be adopted (BAD_USER_INPUT)."
)
class AdoptOAuthClientInput:
    oauth_client: strawberry.ID = strawberry.field(description="The OAuth client's ID.")
