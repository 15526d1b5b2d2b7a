"""Briefing mode: step through incidents in date order, one card at a time.

Pure helpers; the page only lays out what these return.

>>> steps = ["2019-08-23-berlin-khangoshvili", "2024-02-13-villajoyosa-kuzminov"]
>>> step_index(steps, "2024-02-13-villajoyosa-kuzminov"), step_label(1, len(steps))
(1, 'Step 2 of 2')
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd

from dashboard.data.schema import ATTRIBUTIONS, EVENT_TYPES
from dashboard.maps.html_text import sources_html


def briefing_steps(incidents: pd.DataFrame) -> list[str]:
    """The ids of ``incidents`` in date order (earliest first; ties by id)."""
    if incidents.empty:
        return []
    ordered = incidents.sort_values(["date_start", "id"], kind="stable")
    return ordered["id"].tolist()


def step_index(steps: Sequence[str], incident_id: str | None) -> int:
    """Position of ``incident_id`` in ``steps``; 0 when it is missing or not among them."""
    if incident_id and incident_id in steps:
        return list(steps).index(incident_id)
    return 0


def neighbour(steps: Sequence[str], incident_id: str | None, offset: int) -> str | None:
    """The id ``offset`` steps from ``incident_id``, kept within the first and last step."""
    if not steps:
        return None
    index = step_index(steps, incident_id) + offset
    return steps[max(0, min(len(steps) - 1, index))]


def step_number(raw: object) -> int:
    """``step=`` from the URL as a step number: a plain number of up to six digits (no
    briefing has more steps), else 0 (the title step). A value of thousands of digits, or
    digits of other scripts (``²``, ``٣``), is no number here.

    >>> step_number("3"), step_number("9" * 5000), step_number("²"), step_number(None)
    (3, 0, 0, 0)
    """
    text = str(raw if raw is not None else "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 6:
        return int(text)
    return 0


def step_label(index: int, total: int) -> str:
    """``"Step 3 of 12"`` for the zero-based ``index``."""
    return f"Step {index + 1} of {total}"


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def card_html(incident: Mapping[str, object], *, heading_level: int = 2) -> str:
    """An incident's card: title, date, place, summary, attribution and sources, all escaped."""
    title = html.escape(_text(incident.get("title")))
    date = html.escape(_text(incident.get("date_label")) or _text(incident.get("date")))
    place = html.escape(_text(incident.get("place")))
    summary = html.escape(_text(incident.get("summary")))
    event_type = _text(incident.get("event_type"))
    type_label = html.escape(EVENT_TYPES.get(event_type, event_type))
    attribution = _text(incident.get("attribution"))
    attribution_label = html.escape(ATTRIBUTIONS.get(attribution, attribution))
    sponsor = _text(incident.get("sponsor"))
    sources = "".join(f"<li>{item}</li>" for item in sources_html(
        _text(incident.get("sources"))
    ))
    level = min(max(heading_level, 1), 6)
    sponsor_html = (
        f'<p class="im-card-sponsor"><strong>Reported sponsor:</strong> {html.escape(sponsor)}</p>'
        if sponsor else ""
    )
    return (
        '<div class="im-card">'
        f'<h{level} class="im-card-title">{title}</h{level}>'
        f'<p class="im-card-meta"><span class="im-card-date">{date}</span> · '
        f'<span class="im-card-place">{place}</span> · '
        f'<span class="im-card-type">{type_label}</span></p>'
        f'<p class="im-card-summary">{summary}</p>'
        f'<p class="im-card-attribution"><strong>Attribution:</strong> {attribution_label}</p>'
        f"{sponsor_html}"
        f'<div class="im-card-sources"><strong>Sources</strong><ul>{sources}</ul></div>'
        "</div>"
    )
