"""The issues mutations: their payloads and the resolvers that call the domain."""

from __future__ import annotations

from typing import Annotated

import strawberry

from auth.scopes import Scope
from db import governance
from db.models import utcnow
from portal import issues
from schema.context import Info
from schema.issues.inputs import EscalateIssueInput, RaiseIssueInput, ResolveIssueInput
from schema.issues.types import Issue
from schema.kernel.errors import INPUT_DESCRIPTION, UserError, guarded
from schema.kernel.ids import expect_global_id
from schema.kernel.scopes import Needs


@strawberry.type(description="Result of raiseIssue, escalateIssue or resolveIssue.")
class IssuePayload:
    issue: Issue | None = strawberry.field(description="The issue as changed.")
    user_errors: list[UserError] = strawberry.field(description="Why nothing was changed.")


def _payload(row: governance.Issue | None, errors: list[UserError]) -> IssuePayload:
    return IssuePayload(issue=Issue.from_model(row) if row else None, user_errors=errors)


@strawberry.type
class Mutations:
    @strawberry.mutation(
        description="Raise an issue. Any current member organisation, with governance:write.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def raise_issue(
        self,
        info: Info,
        input: Annotated[RaiseIssueInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> IssuePayload:
        ctx = info.context

        async def raise_() -> governance.Issue:
            alliance_id = expect_global_id(input.alliance, "Alliance", "alliance")
            committee_id = expect_global_id(input.committee, "Committee", "committee")
            visibility_committee_id = (
                expect_global_id(input.visibility_committee, "Committee", "visibilityCommittee")
                if input.visibility_committee is not None
                else None
            )
            return await issues.raise_issue(
                ctx.session,
                ctx.principal,
                alliance_id,
                committee_id=committee_id,
                title=input.title,
                description=input.description,
                severity=input.severity,
                visibility=input.visibility,
                visibility_committee_id=visibility_committee_id,
                organisation_slugs=input.audience or (),
                now=utcnow(),
            )

        return _payload(*await guarded(ctx.session, raise_))

    @strawberry.mutation(
        description="Escalate an issue to the parent committee. The holding committee's "
        "chair only, with governance:write.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def escalate_issue(
        self,
        info: Info,
        input: Annotated[EscalateIssueInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> IssuePayload:
        ctx = info.context

        async def escalate() -> governance.Issue:
            issue_id = expect_global_id(input.issue, "Issue", "issue")
            return await issues.escalate_issue(
                ctx.session,
                ctx.principal,
                issue_id,
                expected_version=input.version,
                note=input.note,
                now=utcnow(),
            )

        return _payload(*await guarded(ctx.session, escalate))

    @strawberry.mutation(
        description="Resolve an issue with a resolution text. The holding committee's chair "
        "only, with governance:write.",
        extensions=[Needs(Scope.GOVERNANCE_WRITE)],
    )
    async def resolve_issue(
        self,
        info: Info,
        input: Annotated[ResolveIssueInput, strawberry.argument(description=INPUT_DESCRIPTION)],
    ) -> IssuePayload:
        ctx = info.context

        async def resolve() -> governance.Issue:
            issue_id = expect_global_id(input.issue, "Issue", "issue")
            return await issues.resolve_issue(
                ctx.session,
                ctx.principal,
                issue_id,
                expected_version=input.version,
                resolution=input.resolution,
                now=utcnow(),
            )

        return _payload(*await guarded(ctx.session, resolve))
