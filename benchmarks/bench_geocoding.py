"""Offline geocoding against place strings with independently known coordinates.

    .venv/bin/python benchmarks/bench_geocoding.py [CASES.csv]

CASES.csv has the columns ``query``, ``country`` (optional hint), ``lat``, ``lon`` and
``reference`` (where the coordinates come from); the default is
``tests/fixtures/gazetteer_cases.csv`` (coordinates from encyclopedia articles). Prints the
share of queries resolved, the share within 25 km, and the share of *confident* answers
(neither ambiguous nor partial, and at ``site``, ``district`` or ``city`` precision) more than
25 km off: the answers a reader would trust and should not.
"""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

from dashboard.geocoding.gazetteer import GeoNamesGazetteer, distance_km
from dashboard.geocoding.pipeline import Resolver

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CASES = ROOT / "tests" / "fixtures" / "gazetteer_cases.csv"
FAR_KM = 25.0
CONFIDENT = {"site", "district", "city"}


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CASES
    with path.open(encoding="utf-8", newline="") as handle:
        cases = list(csv.DictReader(handle))
    resolver = Resolver(offline=True, gazetteer=GeoNamesGazetteer())
    resolved = near = confident = confident_far = 0
    far: list[str] = []
    started = time.perf_counter()
    for case in cases:
        result = resolver.resolve(case["query"], case.get("country") or None)
        if result is None:
            continue
        resolved += 1
        km = distance_km(result.lat, result.lon, float(case["lat"]), float(case["lon"]))
        near += km <= FAR_KM
        sure = result.precision in CONFIDENT and not (result.ambiguous or result.partial)
        confident += sure
        if sure and km > FAR_KM:
            confident_far += 1
            far.append(f"  {case['query']!r} -> {result.display_name} ({km:.0f} km off)")
    seconds = time.perf_counter() - started
    total = len(cases)
    print(f"cases: {total} from {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    print(f"resolved: {resolved / total:.1%}")
    print(f"within {FAR_KM:.0f} km: {near / total:.1%}")
    print(f"confident answers: {confident} ({confident / total:.1%} of cases)")
    print(f"confident answers more than {FAR_KM:.0f} km off: {confident_far} "
          f"({confident_far / max(confident, 1):.1%} of confident answers)")
    for line in far:
        print(line)
    print(f"time: {seconds:.2f} s ({seconds / total * 1000:.1f} ms a query)")


if __name__ == "__main__":
    main()
