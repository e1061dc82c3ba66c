"""GraphiQL, served by the portal itself: the page and its vendored assets
(``portal/static/graphiql``: graphiql 3.8.3 and React 18, pinned in its package.json), so the
IDE works without reaching any other host. Served in development only, as the IDE is."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

FOLDER = Path(__file__).parent / "static" / "graphiql"
PAGE = (FOLDER / "index.html").read_text()
"""The IDE's page: its assets come from ``/graphiql/assets/``."""
ASSETS = {
    "graphiql.min.js": "text/javascript",
    "graphiql.min.css": "text/css",
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
}
"""The files the page loads, and nothing else of the folder."""


async def asset(request: Request) -> Response:
    """One of the IDE's assets; they change only with the pinned versions."""
    name = request.path_params["name"]
    media_type = ASSETS.get(name)
    if media_type is None:
        return Response(status_code=404)
    return FileResponse(
        FOLDER / name,
        media_type=media_type,
        headers={"Cache-Control": "public, max-age=86400"},
    )


ROUTES = [Route("/graphiql/assets/{name}", asset)]
