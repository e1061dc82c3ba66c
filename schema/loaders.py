"""The DataLoaders of one request, by area: ``info.context.loaders.plans.by_id``.

Each area's loaders are made the first time a field of the request uses them; each starts
from a ``visible_*`` selection of ``auth.policy`` (see ``schema.kernel.loading``).
"""

from __future__ import annotations

from functools import cached_property

from auth.principal import Principal
from db.session import LockedSession
from schema.action_items.loaders import ActionItemLoaders
from schema.alliances.loaders import AllianceLoaders
from schema.api_tokens.loaders import ApiTokenLoaders
from schema.committees.loaders import CommitteeLoaders
from schema.contributions.loaders import ContributionLoaders
from schema.decisions.loaders import DecisionLoaders
from schema.identity_providers.loaders import IdentityProviderLoaders
from schema.ip_assets.loaders import IpAssetLoaders
from schema.issues.loaders import IssueLoaders
from schema.meetings.loaders import MeetingLoaders
from schema.minutes.loaders import MinutesLoaders
from schema.oauth_clients.loaders import OAuthClientLoaders
from schema.organisations.loaders import OrganisationLoaders
from schema.people.loaders import PeopleLoaders
from schema.plans.loaders import PlanLoaders


class Loaders:
    """The loaders of one request."""

    def __init__(self, session: LockedSession, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    @cached_property
    def organisations(self) -> OrganisationLoaders:
        return OrganisationLoaders(self.session, self.principal)

    @cached_property
    def alliances(self) -> AllianceLoaders:
        return AllianceLoaders(self.session, self.principal)

    @cached_property
    def api_tokens(self) -> ApiTokenLoaders:
        return ApiTokenLoaders(self.session, self.principal)

    @cached_property
    def identity_providers(self) -> IdentityProviderLoaders:
        return IdentityProviderLoaders(self.session, self.principal)

    @cached_property
    def oauth_clients(self) -> OAuthClientLoaders:
        return OAuthClientLoaders(self.session, self.principal)

    @cached_property
    def people(self) -> PeopleLoaders:
        return PeopleLoaders(self.session, self.principal)

    @cached_property
    def committees(self) -> CommitteeLoaders:
        return CommitteeLoaders(self.session, self.principal)

    @cached_property
    def meetings(self) -> MeetingLoaders:
        return MeetingLoaders(self.session, self.principal)

    @cached_property
    def minutes(self) -> MinutesLoaders:
        return MinutesLoaders(self.session, self.principal)

    @cached_property
    def decisions(self) -> DecisionLoaders:
        return DecisionLoaders(self.session, self.principal)

    @cached_property
    def action_items(self) -> ActionItemLoaders:
        return ActionItemLoaders(self.session, self.principal)

    @cached_property
    def issues(self) -> IssueLoaders:
        return IssueLoaders(self.session, self.principal)

    @cached_property
    def plans(self) -> PlanLoaders:
        return PlanLoaders(self.session, self.principal)

    @cached_property
    def contributions(self) -> ContributionLoaders:
        return ContributionLoaders(self.session, self.principal)

    @cached_property
    def ip_assets(self) -> IpAssetLoaders:
        return IpAssetLoaders(self.session, self.principal)
