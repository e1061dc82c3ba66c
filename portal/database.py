"""Which database the portal uses, and bringing its schema up to date."""

from __future__ import annotations

import asyncio

from db.migrate import upgrade
from db.session import create_engine
from portal.embedded import start_embedded_postgres
from portal.settings import Settings


def database_url(settings: Settings) -> tuple[str, bool]:
    """The configured URL, or the embedded server's (started on demand); and whether it is
    embedded."""
    if settings.database_url:
        return settings.database_url, False
    return start_embedded_postgres(settings.data_dir), True


def migrate(url: str) -> None:
    """Run the migrations to head (from synchronous code such as the CLI)."""

    async def run() -> None:
        engine = create_engine(url, pool_size=1)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
