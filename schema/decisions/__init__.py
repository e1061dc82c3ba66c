"""Decisions in the GraphQL schema."""
