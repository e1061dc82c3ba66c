"""The demo alliance's portfolio, replayed through the domain rules: research plans in every
state (approved through steering-committee decisions), milestones done, due and overdue,
contributions of every kind and status in several currencies, and IP assets with access
requests granted, refused and pending."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from auth import policy
from db.enums import (
    CommitteeTier,
    ContributionKind,
    DecisionProcedure,
    IpKind,
    MilestoneKind,
    MilestoneStatus,
    Visibility,
    VoteChoice,
)
from db.governance import Committee
from db.portfolio import Contribution, Plan, PlanVersion
from portal import contributions, decisions, ip_assets, plans
from portal.demo.governance import Cast, Sessions, acting
from portal.kernel.audience import Audience

DAY = dt.timedelta(days=1)
STEERING_VOTERS = ("helix-pharma", "nordic-biotech", "aurora-university", "st-elms-hospital")


async def _committee(sessions: Sessions, cast: Cast, tier: CommitteeTier) -> uuid.UUID:
    async with acting(sessions, cast, "helix-pharma") as (session, principal):
        found = await session.scalar(
            policy.alliance_records(principal, Committee)
            .where(Committee.alliance_id == cast.alliance_id, Committee.tier == tier)
            .with_only_columns(Committee.id)
            .limit(1)
        )
    assert found is not None
    return found


async def _plan(
    sessions: Sessions,
    cast: Cast,
    owner: str,
    title: str,
    body: str,
    at: dt.datetime,
    audience: plans.Audience | None = None,
) -> uuid.UUID:
    async with acting(sessions, cast, owner) as (session, principal):
        plan = await plans.create_plan(
            session,
            principal,
            cast.alliance_id,
            content=plans.Content(title=title, summary=body.split(".")[0] + ".", body=body),
            audience=audience,
            now=at,
        )
        return plan.id


async def _step(
    sessions: Sessions, cast: Cast, owner: str, plan_id: uuid.UUID, step: str, at: dt.datetime
) -> None:
    async with acting(sessions, cast, owner) as (session, principal):
        plan = await session.get(Plan, plan_id)
        assert plan is not None
        await getattr(plans, f"{step}_plan")(
            session, principal, plan_id, expected_version=plan.version, now=at
        )


async def _approve(
    sessions: Sessions, cast: Cast, steering: uuid.UUID, plan_id: uuid.UUID, at: dt.datetime
) -> None:
    """Put the plan's current version to the steering committee by written procedure."""
    async with acting(sessions, cast, "helix-pharma") as (session, principal):
        plan = await session.get(Plan, plan_id)
        assert plan is not None
        version = await session.scalar(
            policy.visible_plan_versions(principal)
            .where(PlanVersion.plan_id == plan_id, PlanVersion.number == plan.version)
            .with_only_columns(PlanVersion.id)
        )
        assert version is not None
        decision = await decisions.record_decision(
            session,
            principal,
            steering,
            text=f"Approve version {plan.version} of the plan.",
            procedure=DecisionProcedure.WRITTEN,
            closes_at=at + 7 * DAY,
            subject=decisions.Subject("PlanVersion", version, cast.alliance_id),
            now=at,
        )
    for slug in STEERING_VOTERS:
        async with acting(sessions, cast, slug) as (session, principal):
            await decisions.cast_vote(
                session, principal, decision.id, choice=VoteChoice.FOR, now=at + DAY
            )
    async with acting(sessions, cast, "helix-pharma") as (session, principal):
        await decisions.close_decision(session, principal, decision.id, now=at + DAY)


async def _milestone(
    sessions: Sessions,
    cast: Cast,
    owner: str,
    plan_id: uuid.UUID,
    title: str,
    responsible: str,
    due_on: dt.date,
    at: dt.datetime,
    *,
    kind: MilestoneKind = MilestoneKind.MILESTONE,
    done_at: dt.datetime | None = None,
) -> None:
    async with acting(sessions, cast, owner) as (session, principal):
        milestone = await plans.add_milestone(
            session,
            principal,
            plan_id,
            kind=kind,
            title=title,
            responsible_organisation_id=cast.organisations[responsible],
            due_on=due_on,
            now=at,
        )
        if done_at is not None:
            await plans.set_milestone_status(
                session,
                principal,
                milestone.id,
                expected_version=milestone.version,
                status=MilestoneStatus.DONE,
                now=done_at,
            )


async def seed_oncology_plans(
    sessions: Sessions, cast: Cast, now: dt.datetime
) -> dict[str, uuid.UUID]:
    """Plans in every state; returns their ids by short name."""
    steering = await _committee(sessions, cast, CommitteeTier.STRATEGIC)
    board = await _committee(sessions, cast, CommitteeTier.TACTICAL)
    t = now - 200 * DAY

    discovery = await _plan(
        sessions,
        cast,
        "helix-pharma",
        "Biomarker discovery programme",
        "Discover predictive biomarkers of immunotherapy response. Three work packages.",
        t,
    )
    async with acting(sessions, cast, "helix-pharma") as (session, principal):
        plan = await session.get(Plan, discovery)
        assert plan is not None
        await plans.revise_plan(
            session,
            principal,
            discovery,
            expected_version=plan.version,
            body="Discover predictive biomarkers of immunotherapy response. Four work "
            "packages, adding a validation cohort from St Elm's.",
            now=t + 5 * DAY,
        )
    await _step(sessions, cast, "helix-pharma", discovery, "propose", t + 6 * DAY)
    await _approve(sessions, cast, steering, discovery, t + 7 * DAY)
    await _step(sessions, cast, "helix-pharma", discovery, "activate", t + 10 * DAY)
    await _milestone(
        sessions,
        cast,
        "helix-pharma",
        discovery,
        "Candidate panel selected",
        "aurora-university",
        (t + 60 * DAY).date(),
        t + 10 * DAY,
        done_at=t + 58 * DAY,
    )
    await _milestone(
        sessions,
        cast,
        "helix-pharma",
        discovery,
        "Validation cohort shipped",
        "st-elms-hospital",
        (now - 20 * DAY).date(),
        t + 10 * DAY,
    )
    await _milestone(
        sessions,
        cast,
        "helix-pharma",
        discovery,
        "Interim report",
        "helix-pharma",
        (now + 40 * DAY).date(),
        t + 10 * DAY,
        kind=MilestoneKind.DELIVERABLE,
    )

    assay = await _plan(
        sessions,
        cast,
        "nordic-biotech",
        "Assay validation plan",
        "Validate the multiplex assay to clinical grade. Two sites.",
        t + 20 * DAY,
    )
    await _step(sessions, cast, "nordic-biotech", assay, "propose", t + 21 * DAY)
    await _approve(sessions, cast, steering, assay, t + 22 * DAY)

    cohort = await _plan(
        sessions,
        cast,
        "st-elms-hospital",
        "Cohort expansion plan",
        "Add 800 samples from a second hospital. Ethics approval pending.",
        now - 10 * DAY,
    )
    await _step(sessions, cast, "st-elms-hospital", cohort, "propose", now - 9 * DAY)

    feasibility = await _plan(
        sessions,
        cast,
        "aurora-university",
        "Early feasibility study",
        "Check that archived biopsies give usable RNA. Done in one quarter.",
        t,
    )
    await _step(sessions, cast, "aurora-university", feasibility, "propose", t + DAY)
    await _approve(sessions, cast, steering, feasibility, t + 2 * DAY)
    await _step(sessions, cast, "aurora-university", feasibility, "activate", t + 3 * DAY)
    await _milestone(
        sessions,
        cast,
        "aurora-university",
        feasibility,
        "RNA yield report",
        "aurora-university",
        (t + 80 * DAY).date(),
        t + 3 * DAY,
        kind=MilestoneKind.DELIVERABLE,
        done_at=t + 75 * DAY,
    )
    await _step(sessions, cast, "aurora-university", feasibility, "complete", t + 90 * DAY)

    imaging = await _plan(
        sessions,
        cast,
        "clinreach-cro",
        "Imaging sub-study",
        "Add PET imaging to the discovery cohort. Dropped for cost.",
        t + 30 * DAY,
    )
    await _step(sessions, cast, "clinreach-cro", imaging, "cancel", t + 60 * DAY)

    publication = await _plan(
        sessions,
        cast,
        "aurora-university",
        "Publication plan",
        "Papers and conference abstracts. Board members only.",
        now - 8 * DAY,
        audience=plans.Audience(Visibility.COMMITTEE, committee_id=board),
    )
    async with acting(sessions, cast, "aurora-university") as (session, principal):
        plan = await session.get(Plan, publication)
        assert plan is not None
        await plans.revise_plan(
            session,
            principal,
            publication,
            expected_version=plan.version,
            title="Publication and communication plan",
            now=now - 7 * DAY,
        )
    return {"discovery": discovery, "assay": assay, "cohort": cohort}


async def seed_oncology_ip(
    sessions: Sessions, cast: Cast, now: dt.datetime, plan_ids: dict[str, uuid.UUID]
) -> None:
    """Background and foreground IP with access requests granted, refused and pending."""
    steering = await _committee(sessions, cast, CommitteeTier.STRATEGIC)
    async with acting(sessions, cast, "nordic-biotech") as (session, principal):
        platform = await ip_assets.register_ip_asset(
            session,
            principal,
            cast.alliance_id,
            kind=IpKind.BACKGROUND,
            title="Multiplex immuno-assay platform",
            description="Nordic's proprietary 40-plex assay chemistry and reader software.",
            licence_terms="Royalty-free research licence for the alliance's duration.",
            plan_id=plan_ids["assay"],
            now=now - 150 * DAY,
        )
    async with acting(sessions, cast, "helix-pharma") as (session, principal):
        signature = await ip_assets.register_ip_asset(
            session,
            principal,
            cast.alliance_id,
            kind=IpKind.FOREGROUND,
            title="Predictive biomarker signature",
            description="A 12-marker signature predicting response to PD-1 blockade.",
            licence_terms="Jointly owned; exploitation per the consortium agreement, §8.",
            plan_id=plan_ids["discovery"],
            co_owner_slugs=("aurora-university",),
            now=now - 30 * DAY,
        )
    async with acting(sessions, cast, "st-elms-hospital") as (session, principal):
        dictionary = await ip_assets.register_ip_asset(
            session,
            principal,
            cast.alliance_id,
            kind=IpKind.BACKGROUND,
            title="Patient cohort data dictionary",
            description="Variable definitions of the St Elm's oncology cohort.",
            licence_terms="Steering committee members only; no onward transfer.",
            audience=Audience(Visibility.COMMITTEE, committee_id=steering),
            now=now - 100 * DAY,
        )
    for requester, asset, purpose, answer, at in (
        (
            "aurora-university",
            platform.id,
            "Run the assay in the translational lab.",
            (ip_assets.AccessDecision.GRANT, "nordic-biotech", "Granted for the alliance."),
            now - 140 * DAY,
        ),
        (
            "clinreach-cro",
            dictionary.id,
            "Design the follow-up trial's CRFs.",
            (
                ip_assets.AccessDecision.REFUSE,
                "st-elms-hospital",
                "Observers do not receive patient-level metadata.",
            ),
            now - 90 * DAY,
        ),
        (
            "st-elms-hospital",
            signature.id,
            "Validate the signature on our cohort.",
            None,
            now - 5 * DAY,
        ),
    ):
        async with acting(sessions, cast, requester) as (session, principal):
            request = await ip_assets.request_ip_access(
                session, principal, asset, purpose=purpose, now=at
            )
        if answer is not None:
            decision, owner, text = answer
            async with acting(sessions, cast, owner) as (session, principal):
                await ip_assets.answer_ip_access_request(
                    session,
                    principal,
                    request.id,
                    decision=decision,
                    answer=text,
                    now=at + 3 * DAY,
                )


async def seed_oncology_contributions(
    sessions: Sessions, cast: Cast, now: dt.datetime, plan_ids: dict[str, uuid.UUID]
) -> None:
    """Every kind and status, valued in five currencies. Deliveries are confirmed by the
    owner of the plan they serve (the contributor never confirms its own)."""
    year = dt.date(now.year, 1, 1), dt.date(now.year, 12, 31)
    ledger = (
        (
            "helix-pharma",
            ContributionKind.CASH,
            "Programme funding 2026",
            "1200000",
            "EUR",
            "1200000.00",
            "EUR",
            "assay",
            "delivered",
        ),
        (
            "nordic-biotech",
            ContributionKind.PERSONNEL,
            "Assay scientists",
            "2",
            "FTE",
            "2100000.00",
            "DKK",
            "discovery",
            "committed",
        ),
        (
            "aurora-university",
            ContributionKind.KNOWLEDGE,
            "Translational biomarker know-how",
            "6",
            "person-months",
            "150000.00",
            "EUR",
            "discovery",
            "pledged",
        ),
        (
            "st-elms-hospital",
            ContributionKind.EQUIPMENT,
            "Biobank freezer capacity",
            "4",
            "units",
            "80000.00",
            "GBP",
            "discovery",
            "delivered",
        ),
        (
            "clinreach-cro",
            ContributionKind.IP,
            "Trial design software licence",
            "1",
            "licence",
            "20000.00",
            "USD",
            None,
            "withdrawn",
        ),
        (
            "helix-pharma",
            ContributionKind.IP,
            "Reagent patent licence",
            "1",
            "licence",
            "250000.00",
            "CHF",
            "discovery",
            "pledged",
        ),
    )
    for owner, kind, description, quantity, unit, amount, currency, plan, status in ledger:
        async with acting(sessions, cast, owner) as (session, principal):
            recorded = await contributions.record_contribution(
                session,
                principal,
                cast.alliance_id,
                contributions.Draft(
                    kind=kind,
                    description=description,
                    quantity=Decimal(quantity),
                    unit=unit,
                    period_start=year[0],
                    period_end=year[1],
                    plan_id=plan_ids[plan] if plan else None,
                    valuation=contributions.Money(Decimal(amount), currency),
                ),
                now=now - 90 * DAY,
            )
            if status in {"committed", "delivered"}:
                recorded = await contributions.commit_contribution(
                    session,
                    principal,
                    recorded.id,
                    expected_version=recorded.version,
                    now=now - 60 * DAY,
                )
            if status == "withdrawn":
                await contributions.withdraw_contribution(
                    session,
                    principal,
                    recorded.id,
                    expected_version=recorded.version,
                    note="Replaced by an in-house tool.",
                    now=now - 30 * DAY,
                )
        if status == "delivered":
            confirmer = "nordic-biotech" if plan == "assay" else "helix-pharma"
            async with acting(sessions, cast, confirmer) as (session, principal):
                current = await session.get(Contribution, recorded.id)
                assert current is not None
                await contributions.confirm_delivery(
                    session,
                    principal,
                    recorded.id,
                    expected_version=current.version,
                    note="Received in full.",
                    now=now - 20 * DAY,
                )


async def seed_oncology_portfolio(sessions: Sessions, cast: Cast, now: dt.datetime) -> None:
    """Plans, then the contributions and IP that build on them."""
    plan_ids = await seed_oncology_plans(sessions, cast, now)
    await seed_oncology_contributions(sessions, cast, now, plan_ids)
    await seed_oncology_ip(sessions, cast, now, plan_ids)
