"""CONVERSION IN PROGRESS: the mutations of this area move here from types.py."""

from schema.action_items.types import Mutations

__all__ = ["Mutations"]
