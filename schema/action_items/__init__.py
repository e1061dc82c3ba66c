"""Action items in the GraphQL schema."""
