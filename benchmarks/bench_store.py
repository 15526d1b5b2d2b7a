"""How soon another process sees a save in the PostgreSQL store, and what a save costs.

    .venv/bin/python benchmarks/bench_store.py [--saves 40] [--store postgresql://...]

Starts PostgreSQL in a temporary folder (``deploy/cluster.py``; or uses ``--store``), loads
the curated dataset, and starts a second process that opens the store as a dashboard
replica does and reports each new generation it sees (its LISTEN/NOTIFY watcher, with the
poll every second besides). This process then saves one row ``--saves`` times, half a
second apart, and prints the save time (row and change-log entry in one transaction) and
the delay until the other process saw each save (p50, p95, max; CLOCK_MONOTONIC is shared
by the processes of one machine), with the machine's cores and load.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.data.stores import open_store  # noqa: E402
from deploy.cluster import local_postgres  # noqa: E402

WATCHER = """
import sys, time
from dashboard.data.stores import open_store
store = open_store(sys.argv[1])
last = store.version()
print("ready", flush=True)
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    now = store.version()
    if now != last:
        print(now, time.monotonic(), flush=True)
        last = now
    time.sleep(0.002)
store.close()
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share / 100 * len(ordered)) - 1)]


def run(store_url: str, saves: int) -> int:
    store = open_store(store_url)
    store.replace_all(*open_store(ROOT / "data" / "incidents.csv").raw_rows())
    watcher = subprocess.Popen([sys.executable, "-c", WATCHER, store_url, str(saves + 30)],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert watcher.stdout.readline().strip() == "ready"
    saved_at: dict[str, float] = {}
    save_ms = []
    snap = store.open_snapshot()
    row_id = snap.ids[0]
    for index in range(saves):
        row = dict(snap.rows[row_id], notes=f"bench save {index}")
        started = time.monotonic()
        store.save_row(snap, row_id, row, who="bench")
        done = time.monotonic()
        save_ms.append((done - started) * 1000)
        saved_at[store.version()] = done
        snap = store.open_snapshot()
        time.sleep(0.5)  # the next save half a second later (a pace, not a wait for state)
    time.sleep(2.0)  # let the other process report the last save
    watcher.terminate()
    seen = {}
    for line in watcher.stdout.read().splitlines():
        version, _, at = line.partition(" ")
        seen[version] = float(at)
    store.close()
    delays = [(seen[v] - at) * 1000 for v, at in saved_at.items() if v in seen]
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"machine: {os.cpu_count()} cores, load {load}")
    print(f"saves: {len(save_ms)}; save (row + change-log entry, one transaction): p50 "
          f"{percentile(save_ms, 50):.1f} ms, p95 {percentile(save_ms, 95):.1f} ms, max "
          f"{max(save_ms):.1f} ms")
    if not delays:
        print("seen by the other process: none")
        return 1
    print(f"seen by the other process: {len(delays)} of {len(saved_at)}; delay p50 "
          f"{percentile(delays, 50):.1f} ms, p95 {percentile(delays, 95):.1f} ms, max "
          f"{max(delays):.1f} ms")
    return 0 if len(delays) == len(saved_at) and max(delays) <= 2000 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--store", help="a postgresql:// store (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.store:
        return run(args.store, args.saves)
    with tempfile.TemporaryDirectory(prefix="incident-map-bench-pg-") as folder:
        with local_postgres(Path(folder)) as store_url:
            return run(store_url, args.saves)


if __name__ == "__main__":
    sys.exit(main())
