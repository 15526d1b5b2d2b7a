"""The timeline in headless Chromium: dragging across its bars sets the years filter, and a
short span is counted per month."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from playwright.sync_api import expect

LOAD_TIMEOUT_MS = 30_000


def years_in_url(page) -> str:
    return parse_qs(urlparse(page.url).query).get("years", [""])[0]


def test_dragging_across_the_timeline_sets_the_years(page):
    p = page.page
    p.goto(f"{page.base_url}/?years=2014-2025")
    chart = p.locator('[data-testid="stVegaLiteChart"]').first
    expect(chart).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    expect(p.get_by_role("heading", name="Incidents per year")).to_be_visible()
    chart.scroll_into_view_if_needed()
    # Vega has laid the chart out when its plot (canvas or SVG) has a size
    p.wait_for_function(
        "() => { const plot = document.querySelector("
        "'[data-testid=\"stVegaLiteChart\"] canvas, [data-testid=\"stVegaLiteChart\"] svg.marks');"
        " return !!plot && plot.getBoundingClientRect().width > 100; }", timeout=LOAD_TIMEOUT_MS)
    # The plot area: Vega's SVG/canvas; the bars span 2014 to 2026 (12 years) across it.
    box = chart.locator("canvas, svg.marks").first.bounding_box()
    assert box is not None
    # Drag inside the plot from about 2018.5 to 2021.5 (the axes take the left and bottom).
    y = box["y"] + box["height"] * 0.2  # in the bars' area, above the axis and legend
    left = box["x"] + 60   # past the y axis
    right = box["x"] + box["width"] - 10
    span = right - left

    def at_year(year: float) -> float:
        return left + span * (year - 2014) / 12

    p.mouse.move(at_year(2018.5), y)
    p.mouse.down()
    p.mouse.move(at_year(2020), y, steps=5)
    p.mouse.move(at_year(2021.5), y, steps=5)
    p.mouse.up()
    p.wait_for_function("() => new URLSearchParams(location.search).get('years') !== "
                        "'2014-2025'", timeout=LOAD_TIMEOUT_MS)
    first, last = (int(part) for part in years_in_url(p).split("-"))
    assert 2017 <= first <= 2019 and 2020 <= last <= 2022 and first < last
    # Three years or fewer: the timeline now counts months.
    if last - first + 1 <= 3:
        expect(p.get_by_role("heading", name="Incidents per month")).to_be_visible(
            timeout=LOAD_TIMEOUT_MS)
    page.screenshot("timeline-span.png")
