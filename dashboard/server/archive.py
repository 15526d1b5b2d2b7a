"""Serving the street-level tile archive named by ``serve --basemap`` (PMTiles).

The browser reads a PMTiles archive by HTTP range requests; Starlette's ``FileResponse``
answers them. The route exists only when ``INCIDENT_MAP_BASEMAP`` names a usable archive,
and sits behind the same Host check as the rest of the dashboard.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.responses import FileResponse
from starlette.routing import Route

from dashboard.maps.basemap import ARCHIVE_ENV, ARCHIVE_URL, ArchiveError, check_archive


def archive_routes() -> list[Route]:
    """The archive's route, or none when no usable archive is named."""
    named = os.environ.get(ARCHIVE_ENV, "").strip()
    if not named:
        return []
    try:
        path = check_archive(Path(named))
    except ArchiveError:
        return []

    async def archive(request):
        return FileResponse(path, media_type="application/vnd.pmtiles")

    return [Route(ARCHIVE_URL, archive, methods=["GET", "HEAD"])]
