"""Page: the plain, testable helpers behind the Streamlit page (``dashboard/app.py``).

Owns the page's state and URL handling (``state``), the timeline chart (``timeline``) and
briefing steps and cards (``briefing``), none of which imports ``streamlit``, and the
Streamlit views that lay them out (``views/``). May import ``base``, ``data``,
``geocoding``, ``maps`` and ``exports``.
"""
