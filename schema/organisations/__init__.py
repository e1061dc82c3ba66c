"""Organisations as the schema shows them to their partners."""
