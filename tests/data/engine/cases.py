"""A small dataset written for the engine tests, with the awkward cases the filters meet:
accents, LIKE's wildcards (``%``, ``_``), quotes, dates at every precision, undated
assessments, rows without coordinates or counts, points on both sides of the antimeridian."""

from __future__ import annotations

import random

from dashboard.data.schema import ATTRIBUTIONS, EVENT_TYPES
from tests.conftest import base_row

COUNTRIES = ("DE", "ES", "GB", "FR", "RU", "TR", "FJ")
WORDS = ("Alarcón", "Berlin", "100%", "a_b", "O'Brien", "Ünal", "Zeytinburnu", "mixed Case")
PLACES = {"DE": (52.52, 13.40), "ES": (40.42, -3.70), "GB": (51.51, -0.13),
          "FR": (48.86, 2.35), "RU": (55.76, 37.62), "TR": (41.01, 28.98),
          "FJ": (-17.8, 179.9)}
#: Words a search may hold (as typed: the page folds them like the data).
SEARCHES = ("alarcon", "Alarcón", "100%", "%", "_", "a_b", "berlin", "o'brien", "ünal",
            "unal", "zeytinburnu", "mixed case", "nowhere", "synthetic")


def engine_rows(count: int = 90, seed: int = 11) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        country = COUNTRIES[i % len(COUNTRIES)]
        event = list(EVENT_TYPES)[rng.randrange(len(EVENT_TYPES))]
        year = rng.randint(2015, 2024)
        kind = rng.choice(("day", "day", "month", "year"))
        date = {"day": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "month": f"{year}-{rng.randint(1, 12):02d}", "year": str(year)}[kind]
        if event == "assessment" and rng.random() < 0.4:
            date, kind = "", "undated"
        lat, lon = PLACES[country]
        lon = lon + rng.uniform(-0.4, 0.4)
        if lon > 180:
            lon -= 360
        word = WORDS[rng.randrange(len(WORDS))]
        row = base_row(
            id=f"case-{i:03d}", date=date, date_precision=kind, event_type=event,
            title=f"Synthetic {event.replace('_', ' ')} {i} {word}",
            summary=f"Near {word} in {country}.", place=f"{word}, {country}",
            country=country, lat=f"{lat + rng.uniform(-0.4, 0.4):.4f}", lon=f"{lon:.4f}",
            attribution=list(ATTRIBUTIONS)[rng.randrange(len(ATTRIBUTIONS))],
            fatalities=str(rng.randint(0, 3)) if event == "killing" else "",
            persons=str(rng.randint(1, 40)) if event == "diplomatic_expulsion" else "",
            counterpart_country="RU" if event == "diplomatic_expulsion" else "",
        )
        if i % 17 == 5:  # no coordinates
            row.update(lat="", lon="", geo_precision="country", geocoder="")
        rows.append(row)
    return rows
