"""Labels for the symbols of a PNG export, placed in the browser without overlap.

Python decides what each label says (:func:`label_entries`: one label per spot, naming the
incident, or how many incidents share the spot and where); the page's script
(``dashboard/static/export_labels.js``) measures each label and places it greedily, most
important first, beside its symbol (right, left, above, below, then the diagonals), dropping
any label that would cover another label, another symbol or a map control (the legend,
scale and credits) or leave the map. Label texts travel as JSON and are set as text, never
as HTML, so a title such as ``<img onerror=…>`` is shown as written.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dashboard.maps.plugins import RawElement, script_json

#: Longest label text; longer titles end with an ellipsis.
MAX_LABEL_CHARS = 42
#: At most this many spots are tried (most important first); the rest stay unlabelled.
MAX_LABELS = 400

LABELS_JS = Path(__file__).resolve().parents[1] / "static" / "export_labels.js"

LABELS_CSS = """
.export-label { position: absolute; z-index: 640; pointer-events: none; white-space: nowrap;
  font: 600 13px/1.2 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #111;
  background: rgba(255,255,255,.86); border-radius: 3px; padding: 1px 4px;
  box-shadow: 0 0 0 1px rgba(0,0,0,.18); }
"""


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_LABEL_CHARS else text[:MAX_LABEL_CHARS - 1].rstrip() + "\u2026"


def label_entries(rows: pd.DataFrame) -> list[dict]:
    """One label per spot of ``rows`` (incidents at the same coordinates share one).

    A spot with one incident is labelled with its title; a shared spot with the count and
    the first incident's place (``3 incidents · Salisbury, England``). Spots with more
    incidents come first, then newer ones: the placer labels in this order.
    """
    if rows.empty or not {"lat", "lon", "title"} <= set(rows.columns):
        return []
    lat = pd.to_numeric(rows["lat"], errors="coerce")
    lon = pd.to_numeric(rows["lon"], errors="coerce")
    located = rows.assign(_lat=lat.round(5), _lon=lon.round(5))[lat.notna() & lon.notna()]
    if located.empty:
        return []
    if "date_start" in located.columns:
        located = located.sort_values("date_start", ascending=False, na_position="last",
                                      kind="stable")
    entries = []
    for (spot_lat, spot_lon), group in located.groupby(["_lat", "_lon"], sort=False):
        count = len(group)
        first = group.iloc[0]
        if count == 1:
            text = _short(first["title"])
        else:
            place = str(first.get("place", "") or "").split(",")[0].strip()
            text = _short(f"{count} incidents" + (f" \u00b7 {place}" if place else ""))
        entries.append({"lat": float(spot_lat), "lon": float(spot_lon), "text": text,
                        "count": count})
    entries.sort(key=lambda entry: -entry["count"])  # stable: newest first within a count
    return entries[:MAX_LABELS]


def labels_element(rows: pd.DataFrame) -> RawElement:
    """The style and script that label ``rows``' symbols once the map is drawn."""
    script = LABELS_JS.read_text(encoding="utf-8")
    return RawElement(
        f"<style>{LABELS_CSS}</style><script>window.incidentExportLabels = "
        f"{script_json(label_entries(rows))};\n{script}</script>"
    )
