"""Global object IDs: ``base64("<Type>:<uuid>")`` as Relay expects."""

from __future__ import annotations

import uuid

from strawberry import relay

from portal.kernel.errors import BadInput, NotFound


def to_global_id(type_name: str, object_id: uuid.UUID) -> relay.GlobalID:
    return relay.GlobalID(type_name, str(object_id))


def parse_global_id(value: relay.GlobalID | str, field: str) -> tuple[str, uuid.UUID]:
    """The type name and uuid in a global id; ``BadInput`` when it is not one."""
    try:
        gid = value if isinstance(value, relay.GlobalID) else relay.GlobalID.from_id(value)
        return gid.type_name, uuid.UUID(gid.node_id)
    except (ValueError, TypeError):
        raise BadInput("not a valid ID", field=field) from None


def expect_global_id(value: relay.GlobalID | str, type_name: str, field: str) -> uuid.UUID:
    """The uuid of a global id of ``type_name``; an id of another type names nothing."""
    found_type, object_id = parse_global_id(value, field)
    if found_type != type_name:
        raise NotFound(f"no such {type_name.lower()}", field=field)
    return object_id
