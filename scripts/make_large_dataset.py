"""Write a synthetic, valid incident dataset of N rows (for benchmarks and load tests).

    .venv/bin/python scripts/make_large_dataset.py 200000 /tmp/incidents-200k.csv [--seed 7]
    .venv/bin/python scripts/make_large_dataset.py 20000000 /work/large-data/incidents-20m.csv

Rows are random but plausible: places around real cities, every vocabulary value used,
expulsions with ``persons`` and a ``counterpart_country``, some responses with
``related_id``. The file passes ``incident-map validate``. Written in blocks of CHUNK rows
(memory stays about 100 MB at any size: 20,000,000 rows are about 6.5 GB of CSV) into a
temporary file beside the target, which replaces it at the end (atomic).
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard.data import schema  # noqa: E402

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


#: Rows made and written at a time.
CHUNK = 100_000


def make_block(count: int, seed: int = 7, *, start: int = 0) -> pd.DataFrame:
    """Rows ``start`` to ``start + count - 1`` as a frame of text columns, made with array
    operations (about a second per CHUNK rows); a block is seeded by ``(seed, start)``."""
    rng = np.random.default_rng([seed, start])
    number = np.arange(start + 1, start + count + 1)
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
    related = (rng.random(count) < 0.05) & (number > 1)
    related_to = rng.integers(1, np.maximum(number, 2))

    names = np.array([c[0] for c in CITIES], dtype=object)[city]
    codes = np.array([c[1] for c in CITIES], dtype=object)
    code = codes[city]
    events = np.array(EVENT_TYPES, dtype=object)[kind]
    words = np.array([e.replace("_", " ") for e in EVENT_TYPES], dtype=object)[kind]
    text = pd.Series(number).astype(str).to_numpy(dtype=object)
    padded = pd.Series(number).map("{:06d}".format).to_numpy(dtype=object)
    years = pd.Series(year).astype(str).to_numpy(dtype=object)
    months = pd.Series(month).map("{:02d}".format).to_numpy(dtype=object)
    days = pd.Series(day).map("{:02d}".format).to_numpy(dtype=object)
    date = np.where(date_kind == 0, years + "-" + months + "-" + days,
                    np.where(date_kind == 1, years + "-" + months, years))
    date_precision = np.array(["day", "month", "year"], dtype=object)[date_kind]
    lat = np.array([c[2] for c in CITIES])[city] + jitter[:, 0]
    lon = np.array([c[3] for c in CITIES])[city] + jitter[:, 1]
    other = codes[counterpart]
    other = np.where(other == code, codes[(counterpart + 1) % len(CITIES)], other)
    expulsion = events == "diplomatic_expulsion"
    return pd.DataFrame({
        "id": "synthetic-" + padded,
        "date": date,
        "date_precision": date_precision,
        "event_type": events,
        "title": "Synthetic " + words + " " + text + " in " + names,
        "summary": "A generated " + words + " near " + names
        + ", used to measure the map with many incidents.",
        "place": names + ", " + code,
        "country": code,
        "lat": pd.Series(lat).map("{:.4f}".format).to_numpy(dtype=object),
        "lon": pd.Series(lon).map("{:.4f}".format).to_numpy(dtype=object),
        "geo_precision": np.array(PRECISIONS, dtype=object)[precision],
        "geocoder": "manual",
        "attribution": np.array(ATTRIBUTIONS, dtype=object)[attribution],
        "perpetrator": "Perpetrator",
        "sponsor": "Sponsor",
        "target": "Target",
        "fatalities": np.where(events == "killing", "1", ""),
        "persons": np.where(expulsion, pd.Series(persons).astype(str).to_numpy(dtype=object),
                            ""),
        "counterpart_country": np.where(expulsion, other, ""),
        "source_quote": "",
        "sources": "https://example.org/synthetic/" + text,
        "notes": "",
        "related_id": np.where(
            related, "synthetic-" + pd.Series(related_to).map("{:06d}".format).to_numpy(
                dtype=object), ""),
    }, columns=COLUMNS)


def make_rows(count: int, seed: int = 7, *, start: int = 0) -> list[list[str]]:
    """The rows of :func:`make_block` as lists of cells."""
    return make_block(count, seed, start=start).to_numpy().tolist()


def write_dataset(path: str | Path, count: int, *, seed: int = 7, progress=None) -> Path:
    """Write ``count`` synthetic rows to ``path`` atomically, CHUNK rows at a time; returns
    the path. ``progress(rows_written)`` is called after each block."""
    if count < 1:
        raise ValueError("count must be at least 1")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with part.open("w", encoding="utf-8", newline="") as handle:
            handle.write(",".join(COLUMNS) + "\n")
            for start in range(0, count, CHUNK):
                make_block(min(CHUNK, count - start), seed, start=start).to_csv(
                    handle, header=False, index=False, lineterminator="\n",
                    quoting=csv.QUOTE_MINIMAL)
                if progress:
                    progress(min(start + CHUNK, count))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)
    finally:
        if part.exists():
            part.unlink()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="number of incidents")
    parser.add_argument("path", type=Path, help="CSV file to write")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("count must be at least 1")
    def report(rows: int) -> None:
        if args.count > CHUNK:
            print(f"\r{rows:,} of {args.count:,} rows", end="", file=sys.stderr, flush=True)

    write_dataset(args.path, args.count, seed=args.seed, progress=report)
    if args.count > CHUNK:
        print(file=sys.stderr)
    print(f"wrote {args.count} incidents to {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
