"""Mechanisms every area of the schema shares: errors, pagination, IDs, scopes, loaders
and node lookup. Areas import from here; nothing here imports an area."""
