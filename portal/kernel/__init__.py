"""Mechanisms every domain area shares: errors, checks, audiences, idempotency, the
server's own actor. Areas import from here; nothing here imports an area."""
