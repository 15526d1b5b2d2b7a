"""The web application ``incident-map serve`` runs: the Streamlit page behind a Host check.

Streamlit serves ``app.py`` as usual (the page, its websocket, static files, health
check); Starlette's ``TrustedHostMiddleware`` answers 400 to every HTTP and websocket
request whose ``Host`` is not one of the names in ``INCIDENT_MAP_ALLOWED_HOSTS``
(``dashboard.server.hosts``), before Streamlit sees it; then the websocket and every write
must come from the served origin exactly, and no other site may frame the page
(``dashboard.server.origins``); uploads are counted against their byte limits as they
arrive (``dashboard.server.uploads``). A street-level tile archive named
by ``serve --basemap`` is served at ``/basemap/archive.pmtiles`` (``dashboard.server.archive``);
a source served through the query engine answers the map's views, popups and streamed
exports under ``/engine/`` (``dashboard.server.engine_routes``).
Responses are gzip-compressed for browsers that accept it (Streamlit's own scripts are about
6 MB uncompressed, the largest part of a first visit); the dataset's payload, already
compressed, and byte ranges of the tile archive pass unchanged.
"""

from __future__ import annotations

from pathlib import Path

from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from streamlit.starlette import App

from dashboard.data.importers.limits import current_limits
from dashboard.server.archive import archive_routes
from dashboard.server.engine_routes import engine_routes
from dashboard.server.hosts import hosts_from_env
from dashboard.server.origins import SameOrigin
from dashboard.server.uploads import UploadLimits

PAGE_PATH = Path(__file__).with_name("app.py")


def _uploaded_files():
    """Streamlit's store of uploaded files (the runtime exists once the server runs)."""
    from streamlit.runtime import Runtime

    return Runtime.instance().uploaded_file_mgr


def _rerun(session_id: str) -> None:
    """Ask a live session to run its page again (to show why its upload was refused)."""
    from streamlit.runtime import Runtime

    info = Runtime.instance()._session_mgr.get_active_session_info(session_id)
    if info is not None:
        info.session.request_rerun(None)


app = App(
    PAGE_PATH,
    routes=archive_routes() + engine_routes(),
    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts_from_env(),
                           www_redirect=False),
                Middleware(SameOrigin),
                Middleware(UploadLimits, limits=current_limits(), files=_uploaded_files,
                           rerun=_rerun),
                Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)],
)
