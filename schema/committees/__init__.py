"""Committees in the GraphQL schema."""
