"""Every incident of the curated dataset can be opened by a click, and the map by keyboard.

The map is the real one (``build_map`` and its browser code, exported to a page opened from
disk); a click lands on whatever symbol is on top at an incident's centre, as a person's
would, and when that spot holds several incidents the list offered must contain it.
"""

from __future__ import annotations

import pytest

from dashboard.data.loading import load_incidents
from dashboard.maps.assets import inline_html
from dashboard.maps.mapping import build_map
from tests.browser.conftest import DATASET
from tests.browser.test_map_browser import open_page
from tests.maps.map_support import incident_payload


@pytest.fixture(scope="module")
def curated():
    return load_incidents(DATASET)


#: In the map's page: click the centre of incident ``index``'s symbol as a pointer would
#: (the events go to whatever is drawn on top there, through Leaflet and the page's own
#: handlers); if a list of the incidents at that spot opens, scroll it to the entry for
#: ``index`` (if the entry is off screen, after the map's pan that brings the list into
#: view, Leaflet's autoPan) and click that the same way; return the id the popup shows, or what went wrong. Every popup is closed
#: after. Leaflet's popups fade out for 200 ms after closing: switched off, so that the
#: page holds only the popup just opened.
_REACH = """
window.imReach = (() => {
    const map = Object.values(window).find((v) => v instanceof L.Map);
    map._fadeAnimated = false;
    function press(x, y) {
        const target = document.elementFromPoint(x, y);
        if (!target) { return null; }
        const at = {bubbles: true, cancelable: true, view: window, clientX: x, clientY: y,
                    button: 0};
        for (const type of ['pointerdown', 'mousedown', 'pointerup', 'mouseup', 'click']) {
            const Kind = type.startsWith('pointer') ? PointerEvent : MouseEvent;
            target.dispatchEvent(new Kind(type, Object.assign({pointerId: 1,
                                                              isPrimary: true}, at)));
        }
        return target;
    }
    function centre(element) {
        const box = element.getBoundingClientRect();
        return [box.left + box.width / 2, box.top + box.height / 2];
    }
    function panned() {
        return new Promise((done) => {
            if (map._panAnim && map._panAnim._inProgress) { map.once('moveend', done); }
            else { done(); }
        });
    }
    async function openByClick(id, index) {
        const symbol = document.querySelector('.incident-' + CSS.escape(id));
        if (!symbol) { return {problem: 'no symbol on the map'}; }
        const [x, y] = centre(symbol);
        if (!(x >= 0 && y >= 0 && x < innerWidth && y < innerHeight)) {
            return {problem: 'off screen at ' + [x, y]};
        }
        press(x, y);
        const stack = document.querySelector('.incident-stack');
        if (stack) {
            const choice = stack.querySelectorAll('button[data-index="' + index + '"]');
            if (choice.length !== 1) { return {problem: 'not in the list opened at its spot'}; }
            // a long list scrolls: bring the entry into its view, as a person would
            const list = choice[0].closest('ul');
            const reachable = () => {
                list.scrollTop += choice[0].getBoundingClientRect().top
                    - list.getBoundingClientRect().top;
                const [bx, by] = centre(choice[0]);
                return choice[0].contains(document.elementFromPoint(bx, by)) ? [bx, by] : null;
            };
            // (the hit test and the click happen at once, so a pan under way does not
            // move the entry between them; only an entry still off screen waits for it)
            let at = reachable();
            if (!at) { await panned(); at = reachable(); }
            if (!at) { return {problem: 'its entry in the list is covered'}; }
            press(...at);
        }
        const popups = document.querySelectorAll('.leaflet-popup');
        const shown = document.querySelector('.incident-popup .ip-id');
        const result = popups.length === 1 && shown ? {shown: shown.textContent}
            : {problem: popups.length + ' popups open, ' + (shown ? 'one' : 'none') +
                        ' of an incident'};
        map.closePopup();
        if (document.querySelector('.leaflet-popup')) { result.problem = 'a popup stays'; }
        return result;
    }
    return {map, openByClick};
})();
"""


def _reach(page, ids: list[str], body: str, extra=None) -> list[dict]:
    """Run ``body`` (JavaScript with ``reach``, ``ids`` and ``extra`` in scope, returning
    one result per id) in the map's page."""
    page.evaluate(_REACH)
    return page.evaluate("async ([ids, extra]) => { const reach = window.imReach; " + body
                         + " }", [ids, extra])


def _failures(ids: list[str], results: list[dict]) -> list[str]:
    return [f"{incident_id}: {result.get('problem') or 'opened ' + result.get('shown', '?')}"
            for incident_id, result in zip(ids, results, strict=True)
            if result.get("shown") != incident_id]


def test_every_curated_incident_opens_by_click_at_the_default_view(browser, curated, tmp_path):
    """Every symbol at the view the map opens on, drawn one by one (the markers layer: the
    default up to CLUSTER_THRESHOLD incidents, in the layer menu beyond). An incident the
    view leaves out (an outlier of the extent that holds most incidents, counted in the
    map's note) is reached as a reader would: the map is panned to it, at the same zoom."""
    fmap = build_map(curated, offline=True, animate=False, legend_open=False, cluster=False)
    page_html = inline_html(fmap)
    data, _ = incident_payload(page_html)
    path = tmp_path / "all.html"
    path.write_text(page_html, encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors)
    try:
        # Every symbol from the view the map was drawn at: a popup near an edge pans the
        # map to fit (Leaflet's autoPan), so the view is put back before each click.
        results = _reach(page, data["id"], """
            const map = reach.map, c = map.getCenter(), zoom = map.getZoom(), results = [];
            const d = map.incidentMap.data, view = map.getBounds();
            for (const [index, id] of ids.entries()) {
                const at = L.latLng(d.lat[index], d.lon[index]);
                const outside = !view.contains(at);
                const centre = outside ? at : c;
                if (!map.getCenter().equals(centre) || map.getZoom() !== zoom) {
                    map.setView(centre, zoom, {animate: false});
                }
                const result = await reach.openByClick(id, index);
                result.panned = outside;
                results.push(result);
            }
            return results;""")
        assert _failures(data["id"], results) == []
        # only the incidents the opening view leaves out needed a pan, and the map says so
        panned = sum(bool(result["panned"]) for result in results)
        assert panned <= fmap.incident_frame.left_out, (panned, fmap.incident_frame)
        if panned:
            assert page.locator(".incident-left-out").inner_text().startswith(
                f"{fmap.incident_frame.left_out} incident")
        assert len(results) == int(curated["has_coords"].sum()) > 25
        assert errors == [] and blocked == []
    finally:
        page.close()


def test_every_curated_incident_opens_when_focused(browser, curated, tmp_path):
    """Every incident with a point, focused as a link with ``?incident=`` or a briefing step
    draws it: zoomed in, its symbol above its neighbours, its popup opened by itself, and a
    click on its symbol opens it again.

    A map built for a focus opens it as it loads (checked here for one incident of each
    location precision); the others are focused in that same page through the page's own
    code (the focus option, the markers made again for it, the view set and the popup
    opened as a focused map does when it loads), one incident after another."""
    ids = curated.loc[curated["has_coords"], "id"].tolist()
    assert len(ids) > 200
    located = curated[curated["has_coords"]]
    one_each = located.drop_duplicates("geo_precision")["id"].tolist()
    zooms, page = {}, None
    blocked, errors = [], []
    try:
        for incident_id in one_each:
            page_html = inline_html(build_map(curated, offline=True, focus_id=incident_id,
                                              animate=False, legend_open=False))
            data, options = incident_payload(page_html)
            assert data["id"][options["focus"]] == incident_id
            precision = located.loc[located["id"] == incident_id, "geo_precision"].iloc[0]
            zooms[precision] = options["frame"]["zoom"]
            path = tmp_path / f"focus-{incident_id}.html"
            path.write_text(page_html, encoding="utf-8")
            if page is None:
                page = open_page(browser, path, blocked, errors)
            else:
                page.goto(path.as_uri())
                page.wait_for_selector(".incident-marker")
            popup = page.locator(".incident-popup .ip-id")
            popup.wait_for(timeout=5000)
            assert popup.inner_text() == incident_id
        assert data["id"] == ids  # the page's incidents, in the dataset's order
        focus_zooms = [zooms[precision] for precision in located["geo_precision"]]
        results = _reach(page, ids, """
            const map = reach.map, manager = map.incidentMap, d = manager.data, results = [];
            for (const [index, id] of ids.entries()) {
                map.closePopup();
                manager.options.focus = index;
                // the symbols made again for this focus (among clusters, it stays out of them)
                for (const layer of manager.layers) {
                    if ((layer.kind === 'markers' || layer.kind === 'clusters')
                            && map.hasLayer(layer)) {
                        map.removeLayer(layer);
                        layer.inner = null;
                        layer.items = null;
                        map.addLayer(layer);
                    }
                }
                const latlng = L.latLng(d.lat[index], d.lon[index]);
                map.setView(latlng, extra[index], {animate: false});
                manager.openFocusNow(latlng);
                const opened = document.querySelector('.incident-popup .ip-id');
                if (!opened || opened.textContent !== id) {
                    results.push({problem: 'the focus opened '
                                           + (opened ? opened.textContent : 'no popup')});
                    continue;
                }
                map.closePopup();
                map.setView(latlng, extra[index], {animate: false});
                results.push(await reach.openByClick(id, index));
            }
            return results;""", focus_zooms)
        assert _failures(ids, results) == []
        assert errors == [] and blocked == []
    finally:
        if page is not None:
            page.close()


def test_markers_are_named_and_the_map_is_one_tab_stop(browser, curated, tmp_path):
    path = tmp_path / "keys.html"
    # the single symbols (clusters name their count, not the incidents inside them)
    path.write_text(inline_html(build_map(curated, offline=True, animate=False, cluster=False)),
                    encoding="utf-8")
    blocked, errors = [], []
    page = open_page(browser, path, blocked, errors)
    try:
        markers = page.locator(".incident-marker")
        names = markers.evaluate_all("(els) => els.map((e) => e.getAttribute('aria-label'))")
        assert len(names) > 25 and all(names)
        assert any("Roman Tsepov" in name and "2004" in name for name in names), names
        assert page.locator(".incident-marker[tabindex]").count() == 0
        page.locator(".leaflet-container").focus()
        page.keyboard.press("Enter")
        page.locator(".incident-stack").wait_for(timeout=3000)
        assert page.locator(".incident-stack button.is-item").count() > 5
        # the first entry has focus; Enter on it opens that incident
        page.keyboard.press("Enter")
        page.locator(".incident-popup .ip-id").wait_for(timeout=3000)
        assert errors == [] and blocked == []
    finally:
        page.close()
