"""CONVERSION IN PROGRESS: the queries of this area move here from types.py."""

from schema.decisions.types import Queries

__all__ = ["Queries"]
