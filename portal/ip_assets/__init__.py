"""Ip assets area."""
