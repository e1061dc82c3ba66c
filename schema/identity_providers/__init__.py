"""Identity providers in the GraphQL schema."""
