"""The contributions mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import portfolio
from db.models import utcnow
from portal import contributions
from schema.context import Info
from schema.contributions.inputs import (
    CommitContributionInput,
    ConfirmDeliveryInput,
    MoneyInput,
    RecordContributionInput,
    UpdateContributionInput,
    WithdrawContributionInput,
)
from schema.contributions.types import Contribution
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.scopes import Needs


@strawberry.type(description="Result of a contribution mutation.")
class ContributionPayload:
    contribution: Contribution | None = strawberry.field(
        description="The contribution as recorded or changed."
    )
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


def _payload(row: portfolio.Contribution | None, errors: list[UserError]) -> ContributionPayload:
    return ContributionPayload(
        contribution=Contribution.from_model(row) if row else None, user_errors=errors
    )


def _money(value: MoneyInput | None) -> contributions.Money | None:
    if value is None:
        return None
    return contributions.Money(amount=value.amount, currency=value.currency)


def _optional_id(value: strawberry.ID | None, type_name: str, field: str) -> uuid.UUID | None:
    return expect_global_id(value, type_name, field) if value is not None else None


Transition = Callable[..., Awaitable[portfolio.Contribution]]


async def _transition(
    info: Info,
    change: Transition,
    contribution: strawberry.ID,
    version: int,
    note: str,
) -> ContributionPayload:
    ctx = info.context

    async def run() -> portfolio.Contribution:
        return await change(
            ctx.session,
            ctx.principal,
            expect_global_id(contribution, "Contribution", "contribution"),
            expected_version=version,
            note=note,
            now=utcnow(),
        )

    return _payload(*await guarded(ctx.session, run))


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Record your organisation's contribution (PLEDGED). Any current member "
        "organisation, with contributions:write; accepts an idempotency key.",
        extensions=[Needs(Scope.CONTRIBUTIONS_WRITE)],
    )
    async def record_contribution(
        self,
        info: Info,
        input: Annotated[
            RecordContributionInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> ContributionPayload:
        ctx = info.context

        async def record() -> portfolio.Contribution:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            draft = contributions.Draft(
                kind=input.kind,
                description=input.description,
                quantity=input.quantity,
                unit=input.unit,
                period_start=input.period_start,
                period_end=input.period_end,
                plan_id=_optional_id(input.plan, "Plan", "plan"),
                valuation=_money(input.valuation),
                audience=contributions.Audience(
                    visibility=input.visibility,
                    committee_id=_optional_id(
                        input.visibility_committee, "Committee", "visibilityCommittee"
                    ),
                    organisation_slugs=tuple(input.audience or ()),
                ),
            )
            return await contributions.record_contribution(
                ctx.session,
                ctx.principal,
                alliance_id,
                draft,
                idempotency_key=input.idempotency_key,
                now=utcnow(),
            )

        return _payload(*await guarded(ctx.session, record))

    @strawberry.mutation(
        description="Change a pledged or committed contribution. The contributing "
        "organisation only, with contributions:write and the current version.",
        extensions=[Needs(Scope.CONTRIBUTIONS_WRITE)],
    )
    async def update_contribution(
        self,
        info: Info,
        input: Annotated[
            UpdateContributionInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> ContributionPayload:
        ctx = info.context

        async def update() -> portfolio.Contribution:
            set_plan = input.plan is not strawberry.UNSET
            changes = contributions.Changes(
                kind=input.kind,
                description=input.description,
                quantity=input.quantity,
                unit=input.unit,
                period_start=input.period_start,
                period_end=input.period_end,
                plan_id=_optional_id(input.plan, "Plan", "plan") if set_plan else None,
                set_plan=set_plan,
                valuation=_money(input.valuation),
            )
            return await contributions.update_contribution(
                ctx.session,
                ctx.principal,
                expect_global_id(input.contribution, "Contribution", "contribution"),
                expected_version=input.version,
                changes=changes,
                now=utcnow(),
            )

        return _payload(*await guarded(ctx.session, update))

    @strawberry.mutation(
        description="PLEDGED → COMMITTED. The contributing organisation only, with "
        "contributions:write.",
        extensions=[Needs(Scope.CONTRIBUTIONS_WRITE)],
    )
    async def commit_contribution(
        self,
        info: Info,
        input: Annotated[
            CommitContributionInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> ContributionPayload:
        return await _transition(
            info, contributions.commit_contribution, input.contribution, input.version, input.note
        )

    @strawberry.mutation(
        description="COMMITTED → DELIVERED, confirmed by the organisation that receives the "
        "contribution (its plan's owner, else the alliance's lead), never by the "
        "contributor. With contributions:write.",
        extensions=[Needs(Scope.CONTRIBUTIONS_WRITE)],
    )
    async def confirm_delivery(
        self,
        info: Info,
        input: Annotated[ConfirmDeliveryInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> ContributionPayload:
        return await _transition(
            info, contributions.confirm_delivery, input.contribution, input.version, input.note
        )

    @strawberry.mutation(
        description="PLEDGED or COMMITTED → WITHDRAWN. The contributing organisation only, "
        "with contributions:write.",
        extensions=[Needs(Scope.CONTRIBUTIONS_WRITE)],
    )
    async def withdraw_contribution(
        self,
        info: Info,
        input: Annotated[
            WithdrawContributionInput, strawberry.argument(description=INPUT_DESCRIPTION)
        ],
    ) -> ContributionPayload:
        return await _transition(
            info, contributions.withdraw_contribution, input.contribution, input.version, input.note
        )
