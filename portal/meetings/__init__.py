"""Meetings area."""
