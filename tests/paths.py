"""Where things are, for every test module: the repository, the page and the fixture files."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Small datasets written for the tests (not third-party data).
FIXTURES = ROOT / "tests" / "fixtures"
#: The Streamlit page, as AppTest runs it.
APP = ROOT / "dashboard" / "app.py"
SCRIPTS = ROOT / "scripts"
