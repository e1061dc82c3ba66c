"""CONVERSION IN PROGRESS: the queries of this area move here from types.py."""

from schema.committees.types import Queries

__all__ = ["Queries"]
