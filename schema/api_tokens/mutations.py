"""CONVERSION IN PROGRESS: the mutations of this area move here from types.py."""

from schema.api_tokens.types import ApiTokenMutations as Mutations

__all__ = ["Mutations"]
