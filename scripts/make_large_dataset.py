"""Write a synthetic, valid incident dataset of N rows (for benchmarks and load tests).

    .venv/bin/python scripts/make_large_dataset.py 200000 /tmp/incidents-200k.csv [--seed 7]

Rows are random but plausible: places around real cities, every vocabulary value used,
expulsions with ``persons`` and a ``counterpart_country``, some responses with
``related_id``. The file passes ``incident-map validate``. Written atomically.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np

from dashboard.base.files import write_atomic
from dashboard.data import schema

COLUMNS = [
    "id", "date", "date_precision", "event_type", "title", "summary", "place", "country",
    "lat", "lon", "geo_precision", "geocoder", "attribution", "perpetrator", "sponsor",
    "target", "fatalities", "persons", "counterpart_country", "source_quote", "sources",
    "notes", "related_id",
]

CITIES = [
    ("Berlin", "DE", 52.52, 13.405), ("London", "GB", 51.507, -0.128),
    ("Paris", "FR", 48.857, 2.352), ("Madrid", "ES", 40.417, -3.704),
    ("Vienna", "AT", 48.208, 16.373), ("Warsaw", "PL", 52.23, 21.012),
    ("Prague", "CZ", 50.075, 14.438), ("Kyiv", "UA", 50.45, 30.523),
    ("Istanbul", "TR", 41.008, 28.978), ("Moscow", "RU", 55.756, 37.617),
    ("Stockholm", "SE", 59.329, 18.069), ("Washington", "US", 38.907, -77.037),
    ("Mexico City", "MX", 19.433, -99.133), ("Tokyo", "JP", 35.68, 139.76),
    ("Sofia", "BG", 42.698, 23.322), ("Vilnius", "LT", 54.687, 25.28),
]
EVENT_TYPES = list(schema.EVENT_TYPES)
ATTRIBUTIONS = list(schema.ATTRIBUTIONS)
PRECISIONS = list(schema.GEO_PRECISIONS)


def make_rows(count: int, seed: int = 7) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    city = rng.integers(0, len(CITIES), count)
    kind = rng.integers(0, len(EVENT_TYPES), count)
    attribution = rng.choice(len(ATTRIBUTIONS), count, p=[0.4, 0.3, 0.2, 0.1])
    precision = rng.choice(len(PRECISIONS), count, p=[0.3, 0.2, 0.35, 0.1, 0.05])
    year = rng.integers(1950, 2025, count)
    month = rng.integers(1, 13, count)
    day = rng.integers(1, 29, count)
    date_kind = rng.choice(3, count, p=[0.7, 0.2, 0.1])
    jitter = rng.normal(0, 0.25, (count, 2))
    persons = rng.integers(1, 120, count)
    counterpart = rng.integers(0, len(CITIES), count)
    related = rng.random(count) < 0.05
    rows = []
    for i in range(count):
        name, code, lat, lon = CITIES[city[i]]
        event = EVENT_TYPES[kind[i]]
        if date_kind[i] == 0:
            date, date_precision = f"{year[i]}-{month[i]:02d}-{day[i]:02d}", "day"
        elif date_kind[i] == 1:
            date, date_precision = f"{year[i]}-{month[i]:02d}", "month"
        else:
            date, date_precision = f"{year[i]}", "year"
        other = CITIES[counterpart[i]][1]
        if other == code:
            other = CITIES[(counterpart[i] + 1) % len(CITIES)][1]
        expulsion = event == "diplomatic_expulsion"
        rows.append([
            f"synthetic-{i + 1:06d}", date, date_precision, event,
            f"Synthetic {event.replace('_', ' ')} {i + 1} in {name}",
            f"A generated {event.replace('_', ' ')} near {name}, used to measure the map "
            "with many incidents.",
            f"{name}, {code}", code,
            f"{lat + jitter[i, 0]:.4f}", f"{lon + jitter[i, 1]:.4f}",
            PRECISIONS[precision[i]], "manual", ATTRIBUTIONS[attribution[i]],
            "Perpetrator", "Sponsor", "Target",
            "1" if event == "killing" else "",
            str(persons[i]) if expulsion else "",
            other if expulsion else "",
            "", f"https://example.org/synthetic/{i + 1}", "",
            f"synthetic-{rng.integers(1, i + 1):06d}" if related[i] and i > 0 else "",
        ])
    return rows


def write_dataset(path: str | Path, count: int, *, seed: int = 7) -> Path:
    """Write ``count`` synthetic rows to ``path`` atomically; returns the path."""
    if count < 1:
        raise ValueError("count must be at least 1")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(make_rows(count, seed))
    return write_atomic(path, buffer.getvalue(), parents=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of incidents")
    parser.add_argument("path", type=Path, help="CSV file to write")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("count must be at least 1")
    write_dataset(args.path, args.count, seed=args.seed)
    print(f"wrote {args.count} incidents to {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
