"""Per-upload peak memory and time of honest CSVs of 10 MB, 100 MB and 1 GB: the numbers the
upload limits (``dashboard/data/importers/limits.py``) are set from.

    .venv/bin/python benchmarks/bench_upload_limits.py [--sizes 10,100,1024] [--raised]
        [--memory-mb 3072]

Each file holds real incident rows (``scripts/make_large_dataset.py``'s rows, written once
and repeated with fresh ids, about 300 bytes a row) and goes the page's way: read and
converted as "Any table" in the worker process (``dashboard/data/importers/isolated.py``),
the result sent back to this process. For each size it prints the outcome (incidents out,
or the limit that stopped it), the seconds from start to answer, the worker's peak memory
and how much this process (the server, in the page) grew to hold the answer, with the
machine's load.

By default the limits are the dashboard's defaults (``--raised``: upload, row, time and
memory limits lifted, except the worker's memory, kept at ``--memory-mb`` so the run stays
within the machine: a file that needs more is reported as stopped there, with the time it
took to get there).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
BLOCK_ROWS = 20_000


def _rss() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakWatcher:
    """This process's peak resident memory while a block runs (sampled every 20 ms)."""

    def __enter__(self):
        self.start = _rss()
        self.peak = self.start
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._done.wait(0.02):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc):
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def honest_csv(path: Path, megabytes: int) -> int:
    """Write ``megabytes`` MB of incident rows; returns the number of rows."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_large_dataset import COLUMNS, make_rows

    rows = make_rows(BLOCK_ROWS, seed=7)
    id_at = COLUMNS.index("id")
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        written = handle.tell()
        block = 0
        while written < megabytes * MB:
            buffer = io.StringIO(newline="")
            block_writer = csv.writer(buffer)
            for row in rows:
                row = list(row)
                row[id_at] = f"{row[id_at]}-{block}"
                block_writer.writerow(row)
            text = buffer.getvalue()
            take = min(len(text), megabytes * MB - written)
            if take < len(text):  # cut at a line end
                take = text.rfind("\n", 0, take) + 1
                if take <= 0:
                    break
            handle.write(text[:take])
            written += len(text[:take].encode("utf-8"))
            count += text[:take].count("\n")
            block += 1
    return count


def run(path: Path, limits, rows: int) -> None:
    from dashboard.data.importers.isolated import read_upload
    from dashboard.data.schema import DatasetError

    raw = path.read_bytes()
    usage: list = []
    started = time.perf_counter()
    with PeakWatcher() as watch:
        try:
            reading = read_upload(raw, path.name, "csv", {"date": "date"}, limits=limits,
                                  usage=usage)
            outcome = reading.summary or reading.error
        except DatasetError as error:
            outcome = f"stopped: {error}"
        seconds = time.perf_counter() - started
    del raw
    worker = f"{usage[0].peak_bytes / MB:7,.0f} MB" if usage else "      - MB"
    with open("/proc/loadavg", encoding="ascii") as load:
        average = load.read().split()[0]
    print(f"{path.stat().st_size / MB:7,.0f} MB {rows:>10,} rows  {seconds:7.1f} s  "
          f"worker peak {worker}  server +{(watch.peak - watch.start) / MB:6,.0f} MB  "
          f"load {average}\n    {outcome}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1024", help="file sizes in MB")
    parser.add_argument("--raised", action="store_true",
                        help="lift every limit but the worker's memory")
    parser.add_argument("--memory-mb", type=int, default=3072,
                        help="the worker's memory with --raised (default 3072)")
    options = parser.parse_args(argv)

    from dashboard.base import worker
    from dashboard.data.importers.limits import Limits

    limits = Limits.from_env()
    if options.raised:
        limits = Limits(upload_mb=1 << 20, session_mb=1 << 20, rows=1 << 40,
                        parse_seconds=3600, parse_memory_mb=options.memory_mb)
    print(f"limits: upload_mb={limits.upload_mb} rows={limits.rows:,} "
          f"parse_memory_mb={limits.parse_memory_mb} parse_seconds={limits.parse_seconds}")
    worker.start()
    with tempfile.TemporaryDirectory(prefix="bench-upload-limits-") as folder:
        for size in (int(part) for part in options.sizes.split(",")):
            path = Path(folder) / f"honest-{size}mb.csv"
            rows = honest_csv(path, size)
            run(path, limits, rows)
            path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
