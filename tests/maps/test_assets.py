"""Front-end assets: pinned npm packages fetched with npm, same-origin URLs, inlining."""

from __future__ import annotations

import json
import re

import folium
import pytest
from folium.plugins import HeatMap, MarkerCluster

from dashboard.data.loading import load_incidents
from dashboard.maps import assets
from dashboard.maps.assets import (
    PACKAGES,
    URL_PREFIX,
    AssetError,
    asset_bytes,
    assets_available,
    cdn_url,
    configure_folium_assets,
    fetch,
    inline_html,
    local_url,
)
from dashboard.maps.mapping import build_map
from tests.maps.map_support import FIXTURE, script_and_link_urls


def plain_map() -> folium.Map:
    m = folium.Map(tiles=None)
    MarkerCluster().add_to(m)
    HeatMap([[52.5, 13.4]]).add_to(m)
    return m


def test_vendored_files_are_present_after_setup():
    assert assets_available(), "run `make assets` (python -m dashboard.maps.assets fetch)"
    assert asset_bytes("leaflet/leaflet.js").startswith(b"/* @preserve")
    assert b"1.9.4" in asset_bytes(local_url("leaflet/leaflet.js"))
    manifest = json.loads((assets.VENDOR_DIR / ".fetched").read_text())
    assert manifest["packages"] == {p.name: p.version for p in PACKAGES}


@pytest.mark.slow  # runs npm twice
def test_fetch_with_npm_into_a_folder_is_idempotent(tmp_path):
    assert fetch(tmp_path) is True
    assert assets_available(tmp_path)
    for package in PACKAGES:
        for dest in package.files.values():
            assert (tmp_path / dest).stat().st_size > 0
        for folder in package.folders.values():  # many files, e.g. one per country
            assert len(list((tmp_path / folder).glob("*" + package.folder_suffix))) > 100
    assert fetch(tmp_path) is False  # already there: nothing to do
    (tmp_path / "leaflet/leaflet.css").unlink()
    assert not assets_available(tmp_path)


def test_missing_npm_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AssetError, match="npm is not installed"):
        fetch(tmp_path / "vendor")
    assert not (tmp_path / "vendor").exists()
    assert assets.main(["fetch", "--force"]) == 1
    assert "error: npm is not installed" in capsys.readouterr().err


def test_local_and_cdn_urls():
    assert local_url("leaflet/leaflet.js") == "/app/static/vendor/leaflet/leaflet.js"
    assert cdn_url("leaflet/leaflet.js") == "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js"
    with pytest.raises(KeyError):
        local_url("left-pad/index.js")


def test_configure_points_every_element_at_same_origin_files():
    m = plain_map()
    urls = configure_folium_assets(m, local=True)
    assert urls and all(url.startswith(URL_PREFIX) for url in urls)
    page = m.get_root().render()
    links = script_and_link_urls(page)
    assert links and all(url.startswith(URL_PREFIX) for url in links), links
    assert not any("bootstrap" in url or "awesome" in url or "jquery" in url for url in links)
    # folium's own class-level lists are untouched
    assert folium.Map.default_js[0][1].startswith("https://")


def test_configure_keeps_cdn_urls_when_files_are_missing():
    m = plain_map()
    urls = configure_folium_assets(m, local=False)
    assert all(url.startswith("https://") for url in urls)
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js" in urls


def test_build_map_falls_back_to_cdn_when_assets_are_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "VENDOR_DIR", tmp_path / "empty")
    assert not assets_available()
    assert "make assets" in assets.missing_assets_message()
    page = build_map(load_incidents(FIXTURE), offline=False).get_root().render()
    links = script_and_link_urls(page)
    assert links and all(url.startswith("https://cdn.jsdelivr.net/npm/") for url in links), links


def test_asset_bytes_of_a_missing_file_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "VENDOR_DIR", tmp_path)
    with pytest.raises(AssetError, match="make assets"):
        asset_bytes("leaflet/leaflet.js")


def test_inline_html_is_self_contained():
    m = build_map(load_incidents(FIXTURE), offline=True)
    page = inline_html(m)
    assert script_and_link_urls(page) == []
    assert "/app/static/" not in page
    assert re.search(r"https?://[^\"' ]+\.(js|css)\b", page) is None
    assert "data:image/png;base64," in page  # leaflet.css images inlined
    assert "L.markerClusterGroup" in page and "IncidentMap.create" in page
    assert page.count("<script>") >= 3
