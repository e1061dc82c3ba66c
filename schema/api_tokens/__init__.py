"""Api tokens in the GraphQL schema."""
