"""Decisions area."""
