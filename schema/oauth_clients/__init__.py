"""OAuth clients in the GraphQL schema."""
