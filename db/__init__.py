"""Storage: models, engine and sessions, migrations and row-level security."""
