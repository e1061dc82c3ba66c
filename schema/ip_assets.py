"""GraphQL for ip assets (issue 4, being built)."""

from __future__ import annotations

import strawberry
from strawberry import relay

NODE_TYPES: dict[str, type[relay.Node]] = {}


@strawberry.type
class Queries:
    pass


@strawberry.type
class Mutations:
    pass
