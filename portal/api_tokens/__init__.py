"""Api tokens area."""
