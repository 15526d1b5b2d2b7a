"""Time build_map and the rendered HTML size: curated dataset, then synthetic 10k and 200k rows.

    .venv/bin/python benchmarks/bench_map.py [--sizes 10000 200000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.data.loading import load_incidents  # noqa: E402
from dashboard.maps.mapping import build_map  # noqa: E402
from scripts.make_large_dataset import write_dataset  # noqa: E402


def measure(label: str, path: Path) -> None:
    started = time.perf_counter()
    incidents = load_incidents(path)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    m = build_map(incidents, offline=True)
    built = time.perf_counter() - started
    started = time.perf_counter()
    page = m.get_root().render()
    rendered = time.perf_counter() - started
    summary = m.incident_summary
    print(f"{label:>16}: {len(incidents):>7} rows, {summary.shown:>7} on map | "
          f"load {loaded:6.2f} s | build_map {built:6.2f} s | render {rendered:5.2f} s | "
          f"HTML {len(page) / 1e6:6.2f} MB ({len(page) / max(summary.shown, 1):5.0f} B/incident)"
          f" | clusters={summary.clustered} heat={summary.heatmap}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 200_000])
    args = parser.parse_args(argv)
    build_map(load_incidents(ROOT / "tests" / "data" / "map_fixture.csv"), offline=True)  # warm
    curated = ROOT / "data" / "incidents.csv"
    if curated.exists():
        measure("curated", curated)
    with tempfile.TemporaryDirectory(prefix="incident-map-bench-") as tmp:
        for size in args.sizes:
            measure(f"synthetic {size // 1000}k", write_dataset(Path(tmp) / f"{size}.csv", size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
