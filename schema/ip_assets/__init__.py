"""Ip assets in the GraphQL schema."""
