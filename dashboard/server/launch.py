"""Run the Streamlit server for the page, with its libraries and caches already loaded.

Streamlit runs the page in the server's own process, so whatever is imported and cached
here before the server starts is not paid for by the first visitor (about a second on
this project's machine: folium, altair, the world outline and the capitals used for
expulsion flows).

``python -m dashboard.server.launch run dashboard/web_app.py [streamlit options]`` takes
exactly the arguments of ``streamlit run``; ``incident-map serve`` uses it.
"""

from __future__ import annotations

import sys


def warm_up() -> None:
    """Import the page's libraries and fill the map's process-wide caches."""
    # Nothing that imports streamlit itself: its configuration must first be read from
    # the command line by ``streamlit run`` (streamlit-folium is therefore left out).
    import altair  # noqa: F401
    import folium  # noqa: F401

    from dashboard.maps import mapping, outline

    mapping.capital_point("RU")
    outline.outline_available()  # reads and caches the outline when it is there
    # The worker server that reads uploads, with the readers imported: the first upload
    # does not wait for it.
    from dashboard.base import worker
    from dashboard.data.importers import isolated  # noqa: F401  (names what it preloads)

    worker.start()
    # Freed memory (a closed session's upload, say) goes back to the system.
    from dashboard.base.memory import start_trimming

    start_trimming()


def main(argv: list[str]) -> None:
    warm_up()
    from streamlit.web import cli

    sys.argv = ["streamlit", *argv]
    cli.main()


if __name__ == "__main__":
    main(sys.argv[1:])
