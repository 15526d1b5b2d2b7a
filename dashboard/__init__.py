"""Incident Map: a sourced, filterable map of state-linked covert action.

The package is layered; each layer may import only the layers listed before it:

1. ``base``: files written atomically and read safely, settings from the environment.
2. ``data``: the dataset's schema and validation, loading, countries, filtering, importers.
3. ``geocoding``: the offline gazetteer, Nominatim, the cache and the ``geocode`` pipeline.
4. ``maps``: the folium map, its Leaflet elements, legend, outline and front-end files.
5. ``exports``: CSV, GeoJSON, HTML and PNG of a view; headless Chromium.
6. ``page``: the page's plain helpers (state from the URL, timeline, briefing steps) and,
   in ``page/views/``, the Streamlit views that lay them out.
7. ``server``: starting Streamlit, the Host check, running the dashboard in the background.
8. The entry points: ``app.py`` (the Streamlit page), ``web_app.py`` (the page behind the
   Host check) and ``cli.py`` (the ``incident-map`` command).

Only the page (``app.py``, ``page/views/``) and the server (``web_app.py``,
``server/launch.py``) import ``streamlit``;
``tests/test_layers.py`` keeps all of this true.
"""

__version__ = "0.1.0"
