"""Meetings in the GraphQL schema."""
