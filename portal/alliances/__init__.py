"""Alliances area."""
