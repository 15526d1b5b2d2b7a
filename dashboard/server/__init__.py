"""Server: running the dashboard.

Owns starting Streamlit with the page's libraries already loaded (``launch``), the list of
``Host`` names the server answers to (``hosts``) and running the dashboard on a free port in
the background for scripts, benchmarks and tests (``background``). ``launch`` is the only
module here that imports ``streamlit`` (its command line). May import every layer below.
"""
