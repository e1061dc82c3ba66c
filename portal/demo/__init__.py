"""A realistic demo world: partner organisations, their people, and two alliances.

Organisations and users are created by the operator; alliances and their membership are
built through the same domain functions the API uses, acting as each lead organisation, so
the demo's events and audit trail look like real use. Seeding twice changes nothing but
the fresh tokens it prints.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from auth.principal import Principal
from auth.scopes import ALL_SCOPES
from db.enums import AllianceStatus, CredentialKind, MembershipRole, OrganisationKind, UserRole
from db.identity import OAuthClient
from db.models import Alliance, Organisation, User, utcnow
from db.session import LockedSession, create_engine, make_sessionmaker, tenant_session
from db.unit_of_work import Actor, act_as
from portal import alliances
from portal.api_tokens import issue_token
from portal.demo.governance import (
    Cast,
    seed_oncology_governance,
    seed_rare_disease_governance,
)
from portal.demo.portfolio import seed_oncology_portfolio

DEMO_ISSUER = "https://idp.demo.alliance-portal.example"


@dataclass(frozen=True)
class DemoOrganisation:
    slug: str
    name: str
    kind: OrganisationKind
    country: str


ORGANISATIONS = (
    DemoOrganisation("helix-pharma", "Helix Pharmaceuticals", OrganisationKind.PHARMA, "CH"),
    DemoOrganisation("nordic-biotech", "Nordic Biotech ApS", OrganisationKind.BIOTECH, "DK"),
    DemoOrganisation("aurora-university", "Aurora University", OrganisationKind.ACADEMIC, "NL"),
    DemoOrganisation(
        "st-elms-hospital", "St Elm's University Hospital", OrganisationKind.HOSPITAL, "GB"
    ),
    DemoOrganisation("clinreach-cro", "ClinReach Research", OrganisationKind.CRO, "DE"),
    DemoOrganisation(
        "lumen-foundation", "Lumen Rare Disease Foundation", OrganisationKind.FOUNDATION, "US"
    ),
    DemoOrganisation("orbis-biotech", "Orbis Biotech SAS", OrganisationKind.BIOTECH, "FR"),
)


@dataclass(frozen=True)
class DemoAlliance:
    name: str
    lead: str
    members: tuple[tuple[str, MembershipRole, str], ...]
    purpose: str
    strategy: str
    vision: str
    starts_on: dt.date


ALLIANCES = (
    DemoAlliance(
        name="Oncology Biomarker Alliance",
        lead="helix-pharma",
        members=(
            ("nordic-biotech", MembershipRole.PARTNER, "Assay platform and 2 FTE"),
            ("aurora-university", MembershipRole.PARTNER, "Translational lab, 3 PhD students"),
            ("st-elms-hospital", MembershipRole.ASSOCIATE, "Patient cohort of 1,200 samples"),
            ("clinreach-cro", MembershipRole.OBSERVER, "Trial design advice"),
        ),
        purpose="Discover and validate predictive biomarkers for immunotherapy response.",
        strategy="Pool cohorts and assays; validate in two independent hospital cohorts.",
        vision="Every patient receives the immunotherapy most likely to work for them.",
        starts_on=dt.date(2025, 1, 1),
    ),
    DemoAlliance(
        name="Rare Disease Data Consortium",
        lead="lumen-foundation",
        members=(
            ("aurora-university", MembershipRole.PARTNER, "Natural-history registry"),
            ("helix-pharma", MembershipRole.PARTNER, "Cash and regulatory expertise"),
            ("orbis-biotech", MembershipRole.PARTNER, "Gene-therapy vector know-how"),
        ),
        purpose="Build a shared natural-history dataset for three ultra-rare diseases.",
        strategy="Common data model, federated analysis, foundation-funded curation.",
        vision="No rare-disease trial fails for lack of natural-history data.",
        starts_on=dt.date(2026, 3, 1),
    ),
)


GOVERNANCE = {
    "Oncology Biomarker Alliance": seed_oncology_governance,
    "Rare Disease Data Consortium": seed_rare_disease_governance,
}


async def _ensure_organisations(session: LockedSession) -> dict[str, Organisation]:
    existing = {
        org.slug: org
        for org in await session.scalars(
            select(Organisation).where(Organisation.slug.in_([o.slug for o in ORGANISATIONS]))
        )
    }
    for spec in ORGANISATIONS:
        if spec.slug in existing:
            continue
        org = Organisation(
            id=uuid.uuid4(), slug=spec.slug, name=spec.name, kind=spec.kind, country=spec.country
        )
        act_as(session, Actor.operator(org.id))
        session.add(org)
        for role in UserRole:
            session.add(
                User(
                    organisation_id=org.id,
                    email=f"{role.value}@{spec.slug}.example",
                    display_name=f"{spec.name} {role.value}",
                    role=role,
                    issuer=DEMO_ISSUER,
                    subject=f"{spec.slug}:{role.value}",
                )
            )
        await session.flush()
        existing[spec.slug] = org
    return existing


def _admin_principal(org: Organisation, admin: User) -> Principal:
    return Principal(
        organisation_id=org.id,
        user_id=admin.id,
        credential_kind=CredentialKind.OPERATOR,
        credential_id=None,
        scopes=ALL_SCOPES,
    )


DEMO_REDIRECT_URI = "http://127.0.0.1:5173/callback"
"""Where the demo frontends want people back after signing in (a local dev server)."""


@dataclass(frozen=True, slots=True)
class DemoAccess:
    """How to reach the demo as one organisation: a fresh API token, and the registered
    public OAuth client a frontend signs its people in with."""

    slug: str
    token: str
    client_id: str


async def _demo_client(session: LockedSession, org: Organisation, admin: User) -> str:
    client_id = f"demo-{org.slug}"
    if await session.scalar(select(OAuthClient.id).where(OAuthClient.client_id == client_id)):
        return client_id
    session.add(
        OAuthClient(
            client_id=client_id,
            organisation_id=org.id,
            name=f"{org.name} demo frontend",
            redirect_uris=[DEMO_REDIRECT_URI],
            is_public=True,
            created_by_user_id=admin.id,
            owner_user_id=admin.id,
        )
    )
    await session.flush()
    return client_id


async def seed_demo(url: str, hashing_secret: str) -> list[DemoAccess]:
    """Seed the demo world into ``url`` and return a fresh token and the demo OAuth client
    per organisation."""
    engine = create_engine(url, pool_size=2)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session, session.begin():
            organisations = await _ensure_organisations(session)
            admins = {
                user.organisation_id: user
                for user in await session.scalars(select(User).where(User.role == UserRole.ADMIN))
            }
            existing_alliances = set(await session.scalars(select(Alliance.name)))

        for spec in ALLIANCES:
            if spec.name in existing_alliances:
                continue
            lead = organisations[spec.lead]
            principal = _admin_principal(lead, admins[lead.id])
            async with tenant_session(sessions, lead.id) as session, session.begin():
                act_as(session, Actor.of(principal))
                alliance = await alliances.create_alliance(
                    session,
                    principal,
                    alliances.Charter(
                        name=spec.name,
                        purpose=spec.purpose,
                        strategy=spec.strategy,
                        vision=spec.vision,
                        starts_on=spec.starts_on,
                    ),
                )
                for slug, role, commitment in spec.members:
                    await alliances.add_member(
                        session,
                        principal,
                        alliance.id,
                        organisation_slug=slug,
                        role=role,
                        commitment=commitment,
                    )
                await alliances.update_charter(
                    session,
                    principal,
                    alliance.id,
                    expected_version=alliance.version,
                    charter=alliances.Charter(status=AllianceStatus.ACTIVE),
                )
            cast = Cast(
                alliance.id,
                {slug: org.id for slug, org in organisations.items()},
                {org_id: admin.id for org_id, admin in admins.items()},
            )
            now = utcnow()
            await GOVERNANCE[spec.name](sessions, cast, now)
            if spec.name == "Oncology Biomarker Alliance":
                await seed_oncology_portfolio(sessions, cast, now)

        tokens: list[DemoAccess] = []
        async with sessions() as session, session.begin():
            for org_spec in ORGANISATIONS:
                org = organisations[org_spec.slug]
                act_as(session, Actor.operator(org.id))
                issued = await issue_token(
                    session,
                    organisation_id=org.id,
                    created_by_user_id=admins[org.id].id,
                    name=f"demo {utcnow():%Y-%m-%d %H:%M}",
                    scopes=ALL_SCOPES,
                    expires_at=utcnow() + dt.timedelta(days=30),
                    hashing_secret=hashing_secret,
                )
                client_id = await _demo_client(session, org, admins[org.id])
                tokens.append(DemoAccess(org_spec.slug, issued.secret, client_id))
        return tokens
    finally:
        await engine.dispose()
