"""Colours for everyone: the event-type palette under colour-vision deficiency simulation,
the contrast of the "sponsor unknown" style, and the weight of symbols.

Simulation: coloraide's filters at full severity (Brettel 1997 for protanopia and
deuteranopia, Viénot 1999 / Brettel for tritanopia as coloraide chooses), distance: CIEDE2000.
"""

from __future__ import annotations

from itertools import combinations

import pytest
from coloraide import Color

from dashboard.maps.mapping import (
    EVENT_COLOURS,
    MARKER_RADIUS,
    PEOPLE_RADIUS,
    UNKNOWN_RING,
    marker_css,
    persons_radius,
)
from dashboard.maps.outline import LAND_FILL, WATER_COLOUR

#: The smallest CIEDE2000 distance between two event types, for any vision below.
MIN_DELTA_E = 12.0
VISIONS = (None, "deutan", "protan", "tritan")


def seen(colour: str, vision: str | None) -> Color:
    color = Color(colour)
    return color if vision is None else color.filter(vision, 1.0, out_space="srgb").clip()


def palette_min_delta_e(colours: dict[str, str]) -> tuple[float, str]:
    """(smallest distance, which pair and vision) over every pair of colours."""
    worst = (float("inf"), "")
    for vision in VISIONS:
        for (a, ca), (b, cb) in combinations(colours.items(), 2):
            distance = seen(ca, vision).delta_e(seen(cb, vision), method="2000")
            worst = min(worst, (distance, f"{a}/{b} under {vision or 'normal vision'}"))
    return worst


def test_every_pair_of_event_colours_stays_apart_under_colour_blindness():
    distance, where = palette_min_delta_e(EVENT_COLOURS)
    assert distance >= MIN_DELTA_E, f"CIEDE2000 {distance:.1f} for {where}"


def test_the_measure_catches_a_palette_that_fails():
    # the old pair the issue reported: killing and assessment close under deuteranopia
    distance, where = palette_min_delta_e({"killing": "#D55E00", "assessment": "#B59A00"})
    assert distance < MIN_DELTA_E and "normal" not in where, where


@pytest.mark.parametrize("background", [LAND_FILL, WATER_COLOUR])
def test_unknown_style_contrasts_with_land_and_sea(background):
    assert Color(UNKNOWN_RING).contrast(background, method="wcag21") >= 3.0
    assert UNKNOWN_RING in marker_css().split(".im-a-unknown", 1)[1].split("}", 1)[0]


@pytest.mark.parametrize("kind", list(EVENT_COLOURS))
def test_every_event_colour_is_darker_than_land_and_sea(kind):
    for background in (LAND_FILL, WATER_COLOUR):
        assert Color(EVENT_COLOURS[kind]).contrast(background, method="wcag21") >= 2.2


def test_a_small_expulsion_never_outweighs_a_killing():
    assert persons_radius(1) < MARKER_RADIUS < PEOPLE_RADIUS
    assert persons_radius(4) < PEOPLE_RADIUS
    # the largest expulsion stays within three times a killing's radius
    assert persons_radius(10_000) <= 3 * PEOPLE_RADIUS
