"""Contributions in the GraphQL schema."""
