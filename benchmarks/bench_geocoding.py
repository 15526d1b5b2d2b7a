"""Offline geocoding against place strings with independently known coordinates.

    .venv/bin/python -m pip install -e '.[bench]'      # airportsdata, pinned
    .venv/bin/python benchmarks/bench_geocoding.py             # airports (default)
    .venv/bin/python benchmarks/bench_geocoding.py CASES.csv   # your own cases

**Airports (default).** The `airportsdata <https://pypi.org/project/airportsdata/>`_ package
lists airports with the town each serves, its subdivision (state, province, region) and
country, and the airport reference point, validated against national aeronautical
publications (https://github.com/mborsetti/airportsdata): coordinates that do not come from
GeoNames, which the gazetteer is built on. Each airport becomes the query an analyst writes,
``"town, subdivision, country"``, and the answer is compared with the airport's point.

An airport is not its town's centre, so the cases are the airports most likely to sit at their
town: scheduled airports (IATA code) named after the town they serve and not "International"
(those are often far out: Guangzhou Baiyun is 28 km from Guangzhou), one airport for that town
and not one of IATA's multi-airport cities. The rest of the bias remains: an answer 25-50 km off
is more often the right town with a distant airport than a wrong town; the answers more than
25 km off are printed, furthest first, so they can be checked one by one.

**CASES.csv** has the columns ``query``, ``country`` (optional hint), ``lat``, ``lon`` and
``reference`` (where the coordinates come from), e.g. ``tests/fixtures/gazetteer_cases.csv``
(coordinates from encyclopedia articles).

Prints the share of queries resolved (answers that are only a country's point counted
apart), the share within 25 km, and the *confident misses*: confident answers (neither
ambiguous nor partial, and at ``site``, ``district`` or ``city`` precision) more than 25 km
(and 50 km) off, the answers a reader would trust and should not; and, stricter, every
answer *written* at a town's precision (``geocode`` writes ambiguous answers at their
precision too) more than 25 km off.
"""

from __future__ import annotations

import csv
import sys
import time
import unicodedata
from collections import Counter
from importlib import resources
from pathlib import Path

from dashboard.data.countries import country_name
from dashboard.geocoding.gazetteer import GeoNamesGazetteer, distance_km
from dashboard.geocoding.pipeline import Resolver

ROOT = Path(__file__).resolve().parents[1]
FAR_KM = 25.0
VERY_FAR_KM = 50.0
CONFIDENT = {"site", "district", "city"}
SHOWN = 60


def _bare(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def airport_cases() -> tuple[list[dict], str]:
    """Cases from airportsdata: one scheduled airport named after its town, per town."""
    try:
        import airportsdata
    except ImportError:
        sys.exit("airportsdata is not installed: .venv/bin/python -m pip install -e '.[bench]'")
    airports = airportsdata.load("ICAO").values()
    macs_file = resources.files("airportsdata") / "iata_macs.csv"
    with macs_file.open(encoding="utf-8", newline="") as handle:
        macs = {(row["Country"], _bare(row["City Name"])) for row in csv.DictReader(handle)}
    scheduled = [a for a in airports if a["iata"] and a["city"] and a["subd"]]
    per_town = Counter((a["country"], a["subd"], a["city"]) for a in scheduled)
    cases = []
    for airport in scheduled:
        town, name = _bare(airport["city"]), _bare(airport["name"])
        if (per_town[(airport["country"], airport["subd"], airport["city"])] > 1
                or (airport["country"], town) in macs
                or town not in name
                or "international" in name or "intl" in name):
            continue
        country = country_name(airport["country"]) or airport["country"]
        cases.append({
            "query": f"{airport['city']}, {airport['subd']}, {country}",
            "country": "",
            "lat": airport["lat"],
            "lon": airport["lon"],
            "reference": f"{airport['name']} ({airport['icao']})",
        })
    cases.sort(key=lambda case: case["query"])
    version = getattr(airportsdata, "__version__", "")
    return cases, f"airportsdata {version}".strip()


def file_cases(path: Path) -> tuple[list[dict], str]:
    with path.open(encoding="utf-8", newline="") as handle:
        cases = list(csv.DictReader(handle))
    return cases, str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def main() -> None:
    if len(sys.argv) > 1:
        cases, origin = file_cases(Path(sys.argv[1]))
    else:
        cases, origin = airport_cases()
    resolver = Resolver(offline=True, gazetteer=GeoNamesGazetteer())
    counts: Counter[str] = Counter()
    far: list[tuple[float, str]] = []
    started = time.perf_counter()
    for case in cases:
        result = resolver.resolve(case["query"], case.get("country") or None)
        if result is None:
            continue
        counts["resolved"] += 1
        counts["country only"] += result.precision == "country"
        km = distance_km(result.lat, result.lon, float(case["lat"]), float(case["lon"]))
        counts["written as a town, far"] += result.precision in CONFIDENT and km > FAR_KM
        counts["near"] += km <= FAR_KM
        flags = [name for name in ("ambiguous", "partial") if getattr(result, name)]
        counts["ambiguous or partial"] += bool(flags)
        sure = result.precision in CONFIDENT and not flags
        counts["confident"] += sure
        if sure and km > FAR_KM:
            counts["confident far"] += 1
            counts["confident very far"] += km > VERY_FAR_KM
            far.append((km, f"  {km:6.0f} km  {case['query']!r} -> {result.display_name}"
                            f"  [{case.get('reference', '')}]"))
    seconds = time.perf_counter() - started
    total = max(len(cases), 1)
    confident = max(counts["confident"], 1)
    print(f"cases: {len(cases)} from {origin}")
    print(f"resolved: {counts['resolved']} ({counts['resolved'] / total:.1%}), of which "
          f"{counts['country only']} only to their country")
    print(f"within {FAR_KM:.0f} km: {counts['near']} ({counts['near'] / total:.1%})")
    print(f"flagged ambiguous or partial: {counts['ambiguous or partial']}")
    print(f"confident answers: {counts['confident']} ({counts['confident'] / total:.1%} of cases)")
    print(f"confident answers more than {FAR_KM:.0f} km off: {counts['confident far']} "
          f"({counts['confident far'] / confident:.1%} of confident answers)")
    print(f"confident answers more than {VERY_FAR_KM:.0f} km off: {counts['confident very far']} "
          f"({counts['confident very far'] / confident:.1%} of confident answers)")
    print(f"answers written at a town's precision (ambiguous or not) more than {FAR_KM:.0f} km "
          f"off: {counts['written as a town, far']} "
          f"({counts['written as a town, far'] / total:.1%} of cases)")
    far.sort(reverse=True)
    for _, line in far[:SHOWN]:
        print(line)
    if len(far) > SHOWN:
        print(f"  ... and {len(far) - SHOWN} more")
    print(f"time: {seconds:.2f} s ({seconds / total * 1000:.1f} ms a query)")


if __name__ == "__main__":
    main()
