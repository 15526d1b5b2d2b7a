"""The server's warm-up loads the page's libraries but never Streamlit itself."""

import json
import subprocess
import sys

CHECK = """
import json, sys
from dashboard.server import launch as server
server.warm_up()
from dashboard.maps import basemap
from dashboard.maps import outline
print(json.dumps({
    "streamlit_loaded": any(name == "streamlit" or name.startswith("streamlit.")
                            for name in sys.modules),
    "folium": "folium" in sys.modules,
    "altair": "altair" in sys.modules,
    "capitals_cached": basemap.stored_capitals.cache_info().currsize,
    "outline_cached": outline.world_outline_json.cache_info().currsize,
}))
"""


def test_warm_up_fills_caches_without_touching_streamlit_configuration():
    # Importing streamlit before `streamlit run` reads its command line would freeze its
    # configuration (static file serving off, so the map's own Leaflet files would 404).
    result = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                            timeout=120, check=True)
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state == {"streamlit_loaded": False, "folium": True, "altair": True,
                     "capitals_cached": 1, "outline_cached": 1}
