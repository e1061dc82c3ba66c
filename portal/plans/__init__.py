"""Plans area."""
