"""Time ``incident-map export`` from request to file: run it N times, print min/median/max.

    .venv/bin/python benchmarks/bench_export.py                     # PNG of the curated dataset
    .venv/bin/python benchmarks/bench_export.py --online --runs 5
    .venv/bin/python benchmarks/bench_export.py -- --preset fhd --scale 2

Each run is a fresh process (start-up, loading, map building, Chromium, screenshot, atomic
write), which is what a user waits for. Exits 1 if any run fails.
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).with_name("incident-map")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", default=str(ROOT / "data" / "incidents.csv"))
    parser.add_argument("--format", default="png",
                        choices=["png", "html", "csv", "geojson", "pptx", "pdf", "gif"])
    parser.add_argument("--online", action="store_true",
                        help="web tiles instead of the bundled outline (needs network)")
    parser.add_argument("extra", nargs="*", help="more export options, after --")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"bench.{args.format}"
        command = [str(BIN), "export", "-o", str(out), "--data", args.data, *args.extra]
        if not args.online:
            command.append("--offline")
        print("command:", shlex.join(command))
        times = []
        for run in range(1, args.runs + 1):
            started = time.perf_counter()
            result = subprocess.run(command, capture_output=True, text=True)
            elapsed = time.perf_counter() - started
            if result.returncode != 0 or not out.exists():
                print(f"run {run} failed ({result.returncode}): {result.stderr.strip()}")
                return 1
            size = out.stat().st_size
            out.unlink()
            times.append(elapsed)
            print(f"run {run}: {elapsed:.2f} s ({size:,} bytes)")
    print(f"min {min(times):.2f} s  median {statistics.median(times):.2f} s  "
          f"max {max(times):.2f} s  ({len(times)} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
