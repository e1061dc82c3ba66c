"""Plans in the GraphQL schema."""
