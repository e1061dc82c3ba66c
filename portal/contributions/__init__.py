"""Contributions area."""
