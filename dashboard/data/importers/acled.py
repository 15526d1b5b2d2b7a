"""ACLED exports, every layout since 2015, into incidents.

- Column names in any case, old names included (``ally_actor_1``, shapefile's ``geo_precis``).
- Event types old and new: before 2019 ACLED wrote ``Battle-No change of territory``,
  ``Remote violence``, ``Violence Against Civilians``; since then ``Battles``,
  ``Explosions/Remote violence``, ``Violence against civilians``.
- Dyadic files (one row per event, ``actor1`` and ``actor2``) and monadic files (one row
  per actor): the rows of one ``event_id_cnty`` are merged into one incident that names
  every actor, and counted as merged.
- Dates in every style ACLED files carry (``2020-05-09``, ``09 May 2020``, and what Excel
  writes: ``9-May-20``, ``31-12-19``, ``01-January-2015``); ``iso`` is optional.
- ``source`` is a ``;``-separated list in ACLED and stays one.

The precision codes follow ``data/README.md``.
"""

from __future__ import annotations

import pandas as pd

from dashboard.data.importers.common import (
    Conversion,
    ImportResult,
    join_parts,
    parse_dates,
    split_list,
    text_column,
)
from dashboard.data.schema import Problem

REQUIRED = ("event_id_cnty", "event_date", "event_type", "country", "latitude", "longitude")
#: Old column names, as ACLED wrote them before 2019 or as a shapefile truncates them.
RENAMES = {"ally_actor_1": "assoc_actor_1", "ally_actor_2": "assoc_actor_2",
           "geo_precis": "geo_precision", "time_preci": "time_precision",
           "event_id_c": "event_id_cnty", "event_date_": "event_date", "event_type_": "event_type",
           "sub_event_": "sub_event_type"}

#: ACLED ``time_precision``: 1 actual date; 2 a week; 3 a month. We have no week level,
#: so a week is kept at month precision (coarser, never falsely precise).
TIME_PRECISION = {"1": "day", "2": "month", "3": "month"}
#: ACLED ``geo_precision``: 1 the town; 2 part of a region near a town; 3 a larger region.
GEO_PRECISION = {"1": "city", "2": "region", "3": "region"}
#: Event types of political violence, old and new, in lower case.
VIOLENT = ("battle", "violence against civilians", "explosions/remote violence", "remote violence")
STATE_FORCES = {"1", "state forces"}
#: ``inter`` codes of crowds: 5 rioters, 6 protesters, 7 civilians (numbers or, since 2024, words).
CROWDS = {"5", "6", "7", "rioters", "protesters", "civilians"}


def convert_acled(frame: pd.DataFrame, rows_in: int | None = None) -> ImportResult:
    work = Conversion.start(frame, "acled", "ACLED", required=REQUIRED, rows_in=rows_in,
                            rename=lambda c: RENAMES.get(c.lower(), c.lower()))
    work.frame, merged = _merge_actor_rows(work.frame, work.problems)
    work.out = out = pd.DataFrame(index=work.frame.index)
    event_id = work.event_id("event_id_cnty")

    text = work.text
    raw_dates = text("event_date")
    dates = parse_dates(raw_dates)
    precision = text("time_precision").map(TIME_PRECISION).fillna("day")
    out["date_precision"] = precision
    out["date"] = dates.dt.strftime("%Y-%m-%d").where(precision == "day",
                                                     dates.dt.strftime("%Y-%m"))

    event_type = text("event_type")
    kind = event_type.str.lower()
    sub_event = text("sub_event_type")
    fatalities = pd.to_numeric(text("fatalities"), errors="coerce")
    deaths = fatalities.fillna(0)
    violent = kind.str.startswith(VIOLENT)
    out["event_type"] = "other"
    out.loc[violent & (deaths > 0), "event_type"] = "killing"
    out.loc[(kind == "violence against civilians") & (sub_event == "Attack") & (deaths == 0),
            "event_type"] = "attempted_killing"
    out.loc[sub_event.str.lower() == "arrests", "event_type"] = "arrest"

    country = text("country")
    location = text("location")
    out["title"] = (sub_event.where(sub_event != "", event_type) + " in "
                    + location.where(location != "", country))
    notes = text("notes")
    out["summary"] = notes.where(notes != "", out["title"])
    work.place(location, text("admin1"), country=country, numeric=text("iso"))
    work.coordinates(text("latitude"), text("longitude"))
    out["geo_precision"] = text("geo_precision").map(GEO_PRECISION).fillna("city")
    work.frame = _state_forces_first(work.frame)
    # ACLED names actors; inter1 = 1 ("State forces" since 2024) marks state forces.
    state_actor = text("inter1").str.lower().isin(STATE_FORCES)
    out["attribution"] = state_actor.map({True: "alleged", False: "unknown"})
    out["perpetrator"] = join_parts(text("actor1"), text("assoc_actor_1"), sep="; ")
    out["target"] = join_parts(text("actor2"), text("assoc_actor_2"), sep="; ")
    out["sponsor"] = text("actor1").where(state_actor, "")
    out["fatalities"] = work.count("fatalities")
    out["sources"] = work.cited("ACLED event", event_id, split_list(text("source")))
    out["notes"] = ("Imported from ACLED (" + event_type + " / " + sub_event
                    + "); coordinates as coded by ACLED")

    return work.finish(dates, {"date": raw_dates, "country": country},
                       {"date": "event_date", "country": "country", "id": "event_id_cnty"},
                       merged)


def _state_forces_first(frame: pd.DataFrame) -> pd.DataFrame:
    """When protesters, rioters or civilians meet state forces, the state forces acted.

    ACLED's actor order implies no direction; it lists protesters first when police
    intervene. Such a row is read with the state forces as the first actor, so they become
    the perpetrator and the protesters the target.
    """
    inter1 = text_column(frame, "inter1").str.lower()
    inter2 = text_column(frame, "inter2").str.lower()
    swap = inter1.isin(CROWDS) & inter2.isin(STATE_FORCES)
    if not swap.any():
        return frame
    frame = frame.copy()
    for first, second in (("actor1", "actor2"), ("assoc_actor_1", "assoc_actor_2"),
                          ("inter1", "inter2")):
        one, two = text_column(frame, first), text_column(frame, second)
        frame[first] = one.where(~swap, two)
        frame[second] = two.where(~swap, one)
    return frame


def _merge_actor_rows(frame: pd.DataFrame, problems: list[Problem]) -> tuple[pd.DataFrame, int]:
    """One row per event: the rows of a monadic file (one per actor) become one dyadic row.

    The first row's actor stays ``actor1``; the actors of the other rows join ``actor2``
    (``inter2`` is state forces when one of them is). Rows of one id with different dates
    are not the same event: the later ones are reported and left out.
    """
    event_id = text_column(frame, "event_id_cnty")
    repeated = event_id.duplicated(keep=False) & (event_id != "")
    if not repeated.any():
        return frame, 0
    frame = frame.copy()
    for column in ("actor1", "actor2", "assoc_actor_1", "assoc_actor_2", "inter2"):
        if column not in frame.columns:
            frame[column] = ""
    drop: list = []
    merged = 0
    subset = frame.loc[repeated]
    for _, group in subset.groupby(event_id[repeated], sort=False):
        first = group.index[0]
        same = group["event_date"] == group.at[first, "event_date"]
        for index in group.index[~same.to_numpy()]:
            problems.append(Problem(
                int(index) + 2, "event_id_cnty",
                f'"{group.at[index, "event_id_cnty"]}" appears again with another date '
                f'("{group.at[index, "event_date"]}"); row left out'))
            drop.append(index)
        group = group[same]
        if len(group) < 2:
            continue
        known = [str(group.at[first, "actor1"]).strip()]
        others: list[str] = []
        for value in list(group["actor2"]) + list(group["actor1"].iloc[1:]):
            value = str(value).strip()
            if value and value not in known and value not in others:
                others.append(value)
        frame.at[first, "actor2"] = "; ".join(others)
        inters = [str(v).strip().lower() for v in group["inter1"].iloc[1:]] if (
            "inter1" in group.columns) else []
        if any(v in STATE_FORCES for v in inters):
            frame.at[first, "inter2"] = "State forces"
        assoc = [str(v).strip() for v in group["assoc_actor_1"].iloc[1:]]
        assoc += [str(v).strip() for v in group["assoc_actor_2"]]
        frame.at[first, "assoc_actor_2"] = "; ".join(dict.fromkeys(a for a in assoc if a))
        drop.extend(group.index[1:])
        merged += len(group) - 1
    return frame.drop(index=drop), merged
