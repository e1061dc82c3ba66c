"""The GraphQL layer: thin types over the portal's domain functions.

Each area of the schema (``schema/<area>/``) contributes its root fields (``queries.Queries``)
and mutations (``mutations.Mutations``); this module composes them, in the order the
exported ``schema.graphql`` lists them, and adds the extensions every operation runs under.
"""

from __future__ import annotations

from functools import partial

import strawberry
from strawberry.extensions import DisableIntrospection, ParserCache
from strawberry.schema.config import StrawberryConfig

from portal.settings import Settings
from schema import viewer
from schema.action_items import mutations as action_items_mutations
from schema.action_items import queries as action_items_queries
from schema.alliances import mutations as alliances_mutations
from schema.alliances import queries as alliances_queries
from schema.api_tokens import mutations as api_tokens_mutations
from schema.api_tokens import queries as api_tokens_queries
from schema.committees import mutations as committees_mutations
from schema.committees import queries as committees_queries
from schema.contributions import mutations as contributions_mutations
from schema.contributions import queries as contributions_queries
from schema.decisions import mutations as decisions_mutations
from schema.decisions import queries as decisions_queries
from schema.identity_providers import mutations as identity_providers_mutations
from schema.identity_providers import queries as identity_providers_queries
from schema.ip_assets import mutations as ip_assets_mutations
from schema.ip_assets import queries as ip_assets_queries
from schema.issues import mutations as issues_mutations
from schema.issues import queries as issues_queries
from schema.kernel.cost import cost_limit
from schema.kernel.extensions import PortalSchema, RollbackOnErrors
from schema.kernel.limits import DocumentLimits, document_limits
from schema.meetings import mutations as meetings_mutations
from schema.meetings import queries as meetings_queries
from schema.minutes import mutations as minutes_mutations
from schema.minutes import queries as minutes_queries
from schema.oauth_clients import mutations as oauth_clients_mutations
from schema.oauth_clients import queries as oauth_clients_queries
from schema.people import mutations as people_mutations
from schema.people import queries as people_queries
from schema.persisted_documents import mutations as persisted_documents_mutations
from schema.planner import Shortcuts, compiled_reads
from schema.plans import mutations as plans_mutations
from schema.plans import queries as plans_queries
from schema.registry import NODE_TYPES


@strawberry.type(description="Everything you can read: start from viewer, alliances or node.")
class Query(
    viewer.Queries,
    alliances_queries.Queries,
    api_tokens_queries.Queries,
    people_queries.Queries,
    identity_providers_queries.Queries,
    oauth_clients_queries.Queries,
    committees_queries.Queries,
    meetings_queries.Queries,
    action_items_queries.Queries,
    minutes_queries.Queries,
    decisions_queries.Queries,
    issues_queries.Queries,
    plans_queries.Queries,
    contributions_queries.Queries,
    ip_assets_queries.Queries,
):
    pass


@strawberry.type(
    description="Every change: each takes one input and answers with the changed object and "
    "userErrors; a mutation that fails changes nothing."
)
class Mutation(
    alliances_mutations.Mutations,
    api_tokens_mutations.Mutations,
    people_mutations.Mutations,
    identity_providers_mutations.Mutations,
    oauth_clients_mutations.Mutations,
    persisted_documents_mutations.Mutations,
    committees_mutations.Mutations,
    meetings_mutations.Mutations,
    action_items_mutations.Mutations,
    minutes_mutations.Mutations,
    decisions_mutations.Mutations,
    issues_mutations.Mutations,
    plans_mutations.Mutations,
    contributions_mutations.Mutations,
    ip_assets_mutations.Mutations,
):
    pass


def build_schema(settings: Settings, shortcuts: Shortcuts | None = None) -> strawberry.Schema:
    """The schema with its extensions: the document limits (which also validate, with
    their own cache), the parser cache, and the rollback of failed operations; its errors
    are settled by ``PortalSchema``. Every extension is a class or a factory, built here
    once: strawberry instantiates it per operation. What the compiled read path answers
    is kept in ``shortcuts`` (the endpoint's), when given."""
    limits = DocumentLimits(
        characters=settings.max_document_characters,
        tokens=settings.max_tokens,
        depth=settings.max_depth,
        aliases=settings.max_aliases,
        directives=settings.max_directives,
        repeated_fields=settings.max_repeated_fields,
    )
    extensions: list[object] = [
        RollbackOnErrors,
        document_limits(limits),  # before the parser cache: it bounds what is parsed
        partial(ParserCache, maxsize=1024),
        cost_limit(settings.max_cost),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    # last: it runs only an operation every other extension has let through
    extensions.append(compiled_reads(settings.compiled_reads, shortcuts))
    return PortalSchema(
        query=Query,
        mutation=Mutation,
        types=list(NODE_TYPES.values()),
        extensions=extensions,  # type: ignore[arg-type]
        config=StrawberryConfig(auto_camel_case=True),
    )
