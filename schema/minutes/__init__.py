"""Minutes in the GraphQL schema."""
