"""Persisted documents in the GraphQL schema: registering a client's trusted documents."""
