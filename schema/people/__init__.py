"""People of the viewer's own organisation in the GraphQL schema."""
