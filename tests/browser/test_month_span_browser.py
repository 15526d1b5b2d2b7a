"""The month span in headless Chromium: on the curated dataset's 2022, dragging across
February to April on the monthly timeline narrows the map, table and numbers to those months
and writes them into the URL; the sidebar says so and clears them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

from dashboard.data.filters import Filters, apply_filters
from dashboard.data.loading import load_incidents
from tests.browser.conftest import DATASET, MAP_IFRAME

LOAD_TIMEOUT_MS = 30_000


def url_params(page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(page.url).query).items()}


def located(incidents, filters: Filters) -> int:
    """How many of the incidents ``filters`` keep have a marker on the map."""
    return int(apply_filters(incidents, filters)["has_coords"].sum())


def test_dragging_february_to_april_sets_a_month_span(page):
    incidents = load_incidents(DATASET)
    year = len(apply_filters(incidents, Filters(years=(2022, 2022))))
    wave = len(apply_filters(incidents, Filters(months=("2022-02", "2022-04"))))
    assert 0 < wave < year
    year_markers = located(incidents, Filters(years=(2022, 2022)))
    wave_markers = located(incidents, Filters(months=("2022-02", "2022-04")))
    assert wave_markers < year_markers

    p = page.page
    p.goto(f"{page.base_url}/?years=2022-2022")
    expect(p.get_by_role("heading", name="Incidents per month")).to_be_visible(
        timeout=LOAD_TIMEOUT_MS)
    expect(p.locator('[data-testid="stMetricValue"]').first).to_have_text(
        f"{year:,}", timeout=LOAD_TIMEOUT_MS)
    markers = p.frame_locator(MAP_IFRAME).locator(".incident-marker")
    expect(markers).to_have_count(year_markers, timeout=LOAD_TIMEOUT_MS)
    chart = p.locator('[data-testid="stVegaLiteChart"]').first
    chart.scroll_into_view_if_needed()
    # Vega has laid the chart out when its plot (canvas or SVG) has a size
    p.wait_for_function(
        "() => { const plot = document.querySelector("
        "'[data-testid=\"stVegaLiteChart\"] canvas, [data-testid=\"stVegaLiteChart\"] svg.marks');"
        " return !!plot && plot.getBoundingClientRect().width > 100; }", timeout=LOAD_TIMEOUT_MS)
    box = chart.locator("canvas").first.bounding_box()
    assert box is not None
    # The plot runs from 1 January 2022 to 1 January 2023 between the y axis (left) and the
    # right edge; drag from mid-February to mid-April, inside the bars' height.
    y = box["y"] + box["height"] * 0.2
    left, right = box["x"] + 60, box["x"] + box["width"] - 10

    def at_month(months: float) -> float:  # months since 1 January 2022
        return left + (right - left) * months / 12

    p.mouse.move(at_month(1.5), y)
    p.mouse.down()
    p.mouse.move(at_month(2.5), y, steps=5)
    p.mouse.move(at_month(3.5), y, steps=5)
    p.mouse.up()
    p.wait_for_function("() => new URLSearchParams(location.search).has('months')",
                        timeout=LOAD_TIMEOUT_MS)
    assert url_params(p) == {"years": "2022-2022", "months": "2022-02..2022-04"}
    # The numbers, the map, the table's heading and the sidebar follow the span.
    expect(p.locator('[data-testid="stMetricValue"]').first).to_have_text(
        f"{wave:,}", timeout=LOAD_TIMEOUT_MS)
    expect(markers).to_have_count(wave_markers, timeout=LOAD_TIMEOUT_MS)
    expect(p.get_by_role("heading", name=f"{wave:,} incidents")).to_be_visible()
    sidebar = p.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("February–April 2022", exact=False)).to_be_visible()
    page.screenshot("month-span.png")

    # Clearing the span gives the whole year back.
    sidebar.get_by_role("button", name="Clear months").click()
    p.wait_for_function("() => !new URLSearchParams(location.search).has('months')",
                        timeout=LOAD_TIMEOUT_MS)
    expect(p.locator('[data-testid="stMetricValue"]').first).to_have_text(
        f"{year:,}", timeout=LOAD_TIMEOUT_MS)
    assert url_params(p) == {"years": "2022-2022"}
