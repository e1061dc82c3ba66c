"""Committees area."""
