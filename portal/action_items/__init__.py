"""Action items area."""
