"""Alliances in the GraphQL schema."""
