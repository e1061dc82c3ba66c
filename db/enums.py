"""The domain's closed vocabularies, shared by models, policy and schema."""

from __future__ import annotations

import enum


class OrganisationKind(enum.StrEnum):
    PHARMA = "pharma"
    BIOTECH = "biotech"
    ACADEMIC = "academic"
    HOSPITAL = "hospital"
    CRO = "cro"
    FOUNDATION = "foundation"
    OTHER = "other"


class UserRole(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


class AllianceStatus(enum.StrEnum):
    FORMING = "forming"
    ACTIVE = "active"
    CLOSING = "closing"
    CLOSED = "closed"


class MembershipRole(enum.StrEnum):
    LEAD = "lead"
    PARTNER = "partner"
    ASSOCIATE = "associate"
    OBSERVER = "observer"


class CredentialKind(enum.StrEnum):
    API_TOKEN = "api_token"  # noqa: S105 - a kind of credential, not a secret
    OPERATOR = "operator"
