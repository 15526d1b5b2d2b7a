"""The screen and every export frame a briefing step with the same function and the same
values: the page's map (``page_map``) and the PNG/PDF/PPTX map (``build_view_map`` of the
deck's ``step_view``) open on the same frame for every step of every shipped briefing."""

from __future__ import annotations

import pytest

from dashboard.data.briefings import list_briefings, load_briefing
from dashboard.data.loading import load_incidents
from dashboard.exports.deck import step_rows, step_view
from dashboard.exports.snapshot import build_view_map
from dashboard.page.views.common import BRIEFING_MAP_HEIGHT, page_frame, page_map
from tests.paths import ROOT

DATASET = ROOT / "data" / "incidents.csv"


@pytest.fixture(scope="module")
def incidents():
    return load_incidents(DATASET)


def shipped_steps(incidents):
    for name in list_briefings():
        briefing = load_briefing(name, ids=incidents["id"])
        for number, step in enumerate(briefing.steps, start=1):
            yield name, number, step


def test_screen_png_pdf_and_pptx_frame_every_step_alike(incidents):
    compared = 0
    for name, number, step in shipped_steps(incidents):
        rows = step_rows(incidents, step)
        for offline in (True,):  # as the suite serves it
            view = step_view(step, offline=offline)
            screen_map = page_map(rows, offline=offline, focus_id=view.focus_id,
                                  height=BRIEFING_MAP_HEIGHT, at=view.at, focus_popup=False,
                                  fly=True, focus_label=True, dim_others=True,
                                  cluster=view.cluster)
            export_map = build_view_map(rows, view, labels=True)
            screen, export = screen_map.incident_frame, export_map.incident_frame
            assert screen == export, (name, number, offline)
            # the same symbols: single ones around an incident (its neighbours dimmed on
            # screen, never gathered into clusters that would hide them)
            clustered = screen_map.incident_summary.clustered
            assert clustered == export_map.incident_summary.clustered, (name, number)
            assert not (step.incident and clustered), (name, number)
            if step.incident:
                assert screen.reason == "focus", (name, number)
                focus = rows[rows["id"] == step.incident].iloc[0]
                assert screen.center == (float(focus["lat"]), float(focus["lon"]))
                assert screen.zoom >= 10 or focus["geo_precision"] in ("region", "country")
            elif step.at:
                assert (screen.reason, screen.zoom) == ("at", step.at.zoom)
            compared += 1
    assert compared >= 10


def test_the_frame_a_key_flies_to_ahead_is_the_one_the_step_then_brings(incidents):
    """The clicker's look-ahead (``page_frame``, no map built) names the frame the step's own
    map is then given, for every step of every shipped briefing, so the map flies once."""
    compared = 0
    for name, number, step in shipped_steps(incidents):
        rows = step_rows(incidents, step)
        view = step_view(step, offline=True)
        shown = page_map(rows, offline=True, focus_id=view.focus_id,
                         height=BRIEFING_MAP_HEIGHT, at=view.at, focus_popup=False, fly=True,
                         focus_label=True, dim_others=True, cluster=view.cluster)
        ahead = page_frame(rows, offline=True, focus_id=view.focus_id, at=view.at)
        assert ahead == shown.incident_frame.options(), (name, number)
        compared += 1
    assert compared >= 10
