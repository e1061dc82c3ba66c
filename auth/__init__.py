"""Credentials, principals and the permission policy."""
