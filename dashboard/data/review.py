"""The review queue: the rows of a dataset that need a person, and why.

Reasons (one row may have several):

- ``no coordinates``: ``lat``/``lon`` are empty;
- ``partial geocode``: a geocoder placed the row at a town's, region's or country's point
  while the place names something smaller (a street, a building, a park: a digit or a
  word such as "school", "embassy", "Straße" in the first part of ``place``);
- ``coarse precision``: ``geo_precision`` is ``region`` or ``country`` for a geocoded row
  whose place names something inside it ("Garching, Bavaria", not "Bavaria");
- ``hand-set point without a note``: ``geocoder`` is ``manual`` and ``notes`` does not say
  where the coordinates come from;
- ``ambiguous geocode`` (given by the caller, who asks the gazetteer: see
  ``dashboard.geocoding.candidates.ambiguous_rows``);
- ``not checked for a long time``: ``checked`` is older than ``stale_days`` (when the
  dataset has that column; an empty cell is ``never checked``).

Example::

    queue = review_queue(read_dataset("data/incidents.csv"))
    queue.iloc[0].to_dict()
    # {'id': '1959-10-15-munich-bandera', 'title': ..., 'reasons': 'partial geocode: ...'}
"""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

#: A row not checked for this long is due for another look.
STALE_DAYS = 730

_SITE_WORDS = re.compile(
    r"\b(school|college|university|academy|embassy|consulate|hotel|house|building|street|"
    r"road|avenue|boulevard|lane|square|park|garden|cemetery|church|mosque|synagogue|"
    r"museum|hospital|clinic|prison|jail|station|airport|port|harbour|harbor|bridge|"
    r"restaurant|cafe|café|bar|club|shop|store|market|mall|factory|plant|depot|warehouse|"
    r"base|barracks|office|headquarters|ministry|court|apartment|flat|villa|residence|"
    r"estate|farm|camp|bus stop|calle|avenida|plaza|rue|via|piazza|ulitsa|prospekt|"
    r"casa|palacio)\b|stra(ss|ß)e\b|str\.|platz\b|weg\b|gasse\b|\d",
    re.IGNORECASE,
)
_NOTE = re.compile(r"coordinat|point|located|location|map|site", re.IGNORECASE)
COARSE = ("region", "country")
SMALLER_THAN_SITE_MISSING = ("district", "city", "region", "country")


def _parts(place: str) -> list[str]:
    return [part for part in (p.strip() for p in place.split(",")) if part]


def names_a_site(place: str) -> bool:
    """True when the first part of ``place`` names something smaller than a town."""
    first = (place or "").split(",")[0]
    return bool(_SITE_WORDS.search(first))


def point_note_missing(row: dict[str, str]) -> bool:
    """A point set by hand whose ``notes`` do not say where the coordinates come from."""
    return (str(row.get("geocoder") or "").strip() == "manual"
            and bool(str(row.get("lat") or "").strip())
            and not _NOTE.search(str(row.get("notes") or "")))


def row_reasons(row: dict[str, str], *, today: date | None = None,
                stale_days: int = STALE_DAYS, has_checked: bool = False) -> list[str]:
    """Why one row needs a person (empty when it does not)."""
    reasons = []
    lat, lon = str(row.get("lat") or "").strip(), str(row.get("lon") or "").strip()
    geocoder = str(row.get("geocoder") or "").strip()
    precision = str(row.get("geo_precision") or "").strip()
    if not lat or not lon:
        reasons.append("no coordinates")
    elif geocoder in ("gazetteer", "nominatim"):
        if precision in SMALLER_THAN_SITE_MISSING and names_a_site(row.get("place") or ""):
            reasons.append(f"partial geocode: {precision} precision but the place names a site")
        elif precision in COARSE and len(_parts(row.get("place") or "")) > 1:
            # "Bavaria" at region precision is as fine as its place; "Garching, Bavaria"
            # at region precision is not.
            reasons.append(f"coarse precision: {precision} for a place named more closely")
    if point_note_missing(row):
        reasons.append("hand-set point without a note on where it comes from")
    if has_checked:
        checked = str(row.get("checked") or "").strip()
        if not checked:
            reasons.append("never checked")
        else:
            try:
                age = ((today or date.today()) - date.fromisoformat(checked)).days
            except ValueError:
                age = None
            if age is not None and age > stale_days:
                reasons.append(f"not checked for a long time (last {checked})")
    return reasons


def review_queue(frame: pd.DataFrame, *, today: date | None = None,
                 stale_days: int = STALE_DAYS,
                 extra: dict[str, str] | None = None) -> pd.DataFrame:
    """The rows that need a person: columns ``id``, ``title``, ``place``, ``reasons``.

    ``frame`` holds the dataset as text (``read_dataset``); rows keep the file's order.
    ``extra`` adds a reason by id (e.g. ambiguous geocodes found by the gazetteer).
    """
    extra = extra or {}
    has_checked = "checked" in frame.columns
    records = []
    for row in frame.to_dict("records"):
        reasons = row_reasons(row, today=today, stale_days=stale_days, has_checked=has_checked)
        if str(row.get("id", "")) in extra:
            reasons.append(extra[str(row.get("id", ""))])
        if reasons:
            records.append({"id": row.get("id", ""), "title": row.get("title", ""),
                            "place": row.get("place", ""), "reasons": "; ".join(reasons)})
    return pd.DataFrame(records, columns=["id", "title", "place", "reasons"])


# --------------------------------------------------------------------------- freshness

#: A row last checked longer ago than this is due for a fresh look at its sources.
FRESH_DAYS = 365
#: Link statuses (written by ``incident-map sources check``) that make a source unusable.
DEAD_STATUSES = ("moved", "gone", "broken", "unreachable")
_URL = re.compile(r"^https?://", re.IGNORECASE)
_SEED = re.compile(r"^\d{3}_[0-9a-f]{16}\.txt$")


def public_sources(cell: str) -> list[str]:
    """The items of a ``sources`` cell other than seed files (links and printed citations)."""
    items = [item.strip() for item in str(cell or "").split(";")]
    return [item for item in items if item and not _SEED.match(item)]


def _day(value: str) -> date | None:
    parts = str(value or "").strip().split("-")
    try:
        numbers = [int(p) for p in parts] + [1, 1]
        return date(numbers[0], numbers[1], numbers[2]) if parts and parts[0] else None
    except ValueError:
        return None


def later_verdicts(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """Row id -> the ``court_ruling`` rows that follow from it (through ``related_id``,
    at any depth), for finding attributions a verdict may have settled."""
    by_id = {str(r.get("id", "")): r for r in rows}
    found: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if str(row.get("event_type", "")) != "court_ruling":
            continue
        seen, parent = {row.get("id")}, str(row.get("related_id") or "")
        while parent and parent in by_id and parent not in seen:
            found.setdefault(parent, []).append(row)
            seen.add(parent)
            parent = str(by_id[parent].get("related_id") or "")
    return found


def freshness_reasons(row: dict[str, str], *, today: date | None = None,
                      days: int = FRESH_DAYS, verdicts: list[dict[str, str]] | None = None,
                      link_status: dict[str, str] | None = None) -> list[str]:
    """Why one row's sources and attribution are due for a fresh look (empty when not).

    - ``checked over a year ago``: ``checked`` older than ``days`` (or missing);
    - ``one source``: a single public source besides the seed documents;
    - ``attribution unknown but a verdict followed``: ``unknown`` (or ``alleged``) while a
      ``court_ruling`` row dated after it follows from it;
    - ``source no longer answers``: a link whose last ``sources check`` failed.
    """
    today = today or date.today()
    reasons = []
    checked = _day(row.get("checked", ""))
    if checked is None:
        reasons.append("never checked")
    elif (today - checked).days > days:
        reasons.append(f"checked over a year ago (last {row.get('checked')})"
                       if days == FRESH_DAYS else
                       f"checked over {days} days ago (last {row.get('checked')})")
    sources = public_sources(row.get("sources", ""))
    if len(sources) == 1:
        reasons.append("one source")
    if str(row.get("attribution", "")) in ("unknown", "alleged") and verdicts:
        own = _day(row.get("date", "")) or date.min
        after = [v for v in verdicts if (_day(v.get("date", "")) or date.min) >= own]
        if after:
            last = max(after, key=lambda v: str(v.get("date", "")))
            reasons.append(f"attribution {row.get('attribution')} but a verdict followed "
                           f"({last.get('id')}, {last.get('date')})")
    if link_status:
        dead = [f"{link_status[s]}: {s}" for s in sources
                if _URL.match(s) and link_status.get(s) in DEAD_STATUSES]
        if dead:
            reasons.append("source no longer answers (" + "; ".join(dead) + ")")
    return reasons


def freshness_queue(frame: pd.DataFrame, *, today: date | None = None,
                    days: int = FRESH_DAYS,
                    link_status: dict[str, str] | None = None) -> pd.DataFrame:
    """The rows whose record is due for a fresh look: columns ``id``, ``title``, ``checked``,
    ``reasons`` (file order). ``link_status`` maps URLs to the status the source catalogue
    recorded (``incident-map sources check``)."""
    rows = frame.to_dict("records")
    verdicts = later_verdicts(rows)
    records = []
    for row in rows:
        reasons = freshness_reasons(row, today=today, days=days,
                                    verdicts=verdicts.get(str(row.get("id", ""))),
                                    link_status=link_status)
        if reasons:
            records.append({"id": row.get("id", ""), "title": row.get("title", ""),
                            "checked": row.get("checked", ""), "reasons": "; ".join(reasons)})
    return pd.DataFrame(records, columns=["id", "title", "checked", "reasons"])
