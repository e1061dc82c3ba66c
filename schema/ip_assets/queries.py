"""CONVERSION IN PROGRESS: the queries of this area move here from types.py."""

from schema.ip_assets.types import Queries

__all__ = ["Queries"]
