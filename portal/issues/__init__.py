"""Issues area."""
