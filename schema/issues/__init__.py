"""Issues in the GraphQL schema."""
