"""Minutes area."""
