"""Time one editor save (open, check, rewrite one record atomically, log) and one undo.

    .venv/bin/python benchmarks/bench_save.py [--sizes 10000 200000]

The curated dataset first, then synthetic datasets of the given sizes; each figure is the
best of three runs, from opening the file to the change log written.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboard.data import editing  # noqa: E402
from scripts.make_large_dataset import write_dataset  # noqa: E402


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(label: str, path: Path) -> None:
    started = time.perf_counter()
    snapshot = editing.open_snapshot(path)
    opened = time.perf_counter() - started
    row_id = snapshot.ids[len(snapshot.ids) // 2]
    entries = []

    def save() -> None:
        snap = editing.open_snapshot(path)
        row = dict(snap.rows[row_id], notes=f"benchmark {len(entries)}")
        entries.append(editing.save_row(snap, row_id, row, who="benchmark"))

    saved = best_of(3, save)
    undone = best_of(1, lambda: editing.undo(editing.open_snapshot(path), entries[-1],
                                             who="benchmark"))
    size = path.stat().st_size / 1e6
    print(f"{label:>10}: {len(snapshot.rows):>7} rows, {size:6.1f} MB | open {opened:5.2f} s"
          f" | open + save + log {saved:5.2f} s | undo {undone:5.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 200_000])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        curated = Path(folder) / "curated.csv"
        shutil.copyfile(ROOT / "data" / "incidents.csv", curated)
        measure("curated", curated)
        for size in args.sizes:
            path = Path(folder) / f"synthetic-{size}.csv"
            write_dataset(path, size)
            measure(f"{size:,}", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
