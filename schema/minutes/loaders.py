"""The request's loaders of minutes: every nested list costs one statement per level."""

from __future__ import annotations

from auth import policy
from auth.principal import Principal
from db import governance as db
from db.governance import Minutes
from db.session import LockedSession
from schema.kernel.loading import audience_loader, by_columns_loader, by_id_loader, grouped_loader


class MinutesLoaders:
    """Minutes whose audience includes the organisation."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.by_id = by_id_loader(session, policy.visible_minutes(principal))
        self.of_meeting = grouped_loader(
            session, policy.visible_minutes(principal), Minutes.meeting_id
        )
        self.versions_of_minutes = grouped_loader(
            session,
            policy.visible_minutes_versions(principal),
            db.MinutesVersion.minutes_id,
            db.MinutesVersion.version,
        )
        self.signatures_of_minutes = grouped_loader(
            session,
            policy.visible_signatures(principal),
            db.Signature.minutes_id,
            db.Signature.signed_at,
            db.Signature.id,
        )
        self.audience = audience_loader(session, principal, policy.visible_minutes(principal))
        self.version_by_number = by_columns_loader(
            session,
            policy.visible_minutes_versions(principal),
            db.MinutesVersion.minutes_id,
            db.MinutesVersion.version,
        )
