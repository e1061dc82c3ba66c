"""Alliance Portal: the shared backend of research alliances in healthcare and life sciences."""
