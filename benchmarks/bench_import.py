"""Time converting a large ACLED-style export and opening the result.

    .venv/bin/python benchmarks/bench_import.py [ROWS]

Writes a synthetic ACLED export of ROWS rows (default 300,000) to a temporary folder,
then prints the seconds taken by each step and the peak memory of the process.
"""

from __future__ import annotations

import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from dashboard.data.filters import Filters, apply_filters
from dashboard.data.importers import convert_source, read_file, write_dataset
from dashboard.data.loading import load_incidents

PLACES = [
    ("Kyiv", "Kyiv City", "Ukraine", "804", 50.45, 30.52),
    ("Kharkiv", "Kharkivska", "Ukraine", "804", 49.99, 36.23),
    ("Madrid", "Madrid", "Spain", "724", 40.42, -3.70),
    ("Berlin", "Berlin", "Germany", "276", 52.52, 13.40),
    ("Istanbul", "Istanbul", "Turkey", "792", 41.01, 28.98),
]
TYPES = [
    ("Violence against civilians", "Attack"),
    ("Strategic developments", "Arrests"),
    ("Battles", "Armed clash"),
    ("Protests", "Peaceful protest"),
]


def synthetic_acled(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = random.Random(seed)
    records = []
    for number in range(rows):
        location, admin1, country, iso, lat, lon = rng.choice(PLACES)
        event_type, sub_event = rng.choice(TYPES)
        records.append(
            {
                "event_id_cnty": f"SYN{number}",
                "event_date": (
                    f"{rng.randint(1997, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                ),
                "time_precision": str(rng.choice([1, 1, 1, 2, 3])),
                "event_type": event_type,
                "sub_event_type": sub_event,
                "actor1": "Actor",
                "inter1": str(rng.randint(1, 8)),
                "actor2": "Civilians",
                "iso": iso,
                "country": country,
                "admin1": admin1,
                "location": location,
                "latitude": f"{lat + rng.uniform(-0.3, 0.3):.4f}",
                "longitude": f"{lon + rng.uniform(-0.3, 0.3):.4f}",
                "geo_precision": str(rng.choice([1, 2, 3])),
                "source": "Synthetic",
                "notes": f"Synthetic event {number} near {location}.",
                "fatalities": str(rng.choice([0, 0, 1, 2])),
            }
        )
    return pd.DataFrame.from_records(records)


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder, "acled.csv"), Path(folder, "incidents.csv")
        synthetic_acled(rows).to_csv(source, index=False)
        timings = {}
        start = time.perf_counter()
        table = read_file(source)
        timings["read export"] = time.perf_counter() - start
        start = time.perf_counter()
        result = convert_source(table)
        timings["convert"] = time.perf_counter() - start
        start = time.perf_counter()
        write_dataset(result.incidents, output)
        timings["write dataset"] = time.perf_counter() - start
        start = time.perf_counter()
        incidents = load_incidents(output)
        timings["load + validate"] = time.perf_counter() - start
        start = time.perf_counter()
        shown = apply_filters(
            incidents, Filters(years=(2019, 2025), countries=("UA",), query="kyiv")
        )
        timings["filter"] = time.perf_counter() - start
    print(f"rows: {rows:,} -> incidents: {len(incidents):,} (filtered view: {len(shown):,})")
    print(f"summary: {result.summary()}")
    for step, seconds in timings.items():
        print(f"{step:>16}: {seconds:7.3f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory':>16}: {peak:7.0f} MB")


if __name__ == "__main__":
    main()
