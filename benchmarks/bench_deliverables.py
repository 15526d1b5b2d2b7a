"""Time the deliverables staff hand over, from command to file: a page PNG, a 17-slide deck
and the GIF of 43 years (each run a fresh ``incident-map export`` process, offline).

    .venv/bin/python benchmarks/bench_deliverables.py               # all three, 5 runs each
    .venv/bin/python benchmarks/bench_deliverables.py --only deck --runs 3

Targets on the project's 2-core machine at rest: PNG <= 5 s, deck <= 25 s, GIF <= 30 s. The
machine's load (``/proc/loadavg``) is printed before every run and with every median, since
a loaded machine is slower. The deck is a briefing of the 17 newest curated killings, one
step each (each slide zoomed to its incident); the GIF plays 1983-2025. Exits 1 if a run
fails.
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
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).with_name("incident-map")
DATA = ROOT / "data" / "incidents.csv"
TARGETS = {"png": 5.0, "deck": 25.0, "gif": 30.0}
DECK_SLIDES = 17


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def deck_briefing(folder: Path) -> str:
    """A briefing of the DECK_SLIDES newest killings of the curated data; its name."""
    import tomli_w

    from dashboard.data.loading import load_incidents

    incidents = load_incidents(DATA)
    killings = incidents[incidents["event_type"] == "killing"].dropna(subset=["date_start"])
    newest = killings.sort_values("date_start").tail(DECK_SLIDES)
    steps = [{"heading": str(row["title"]), "caption": str(row["summary"])[:200],
              "incident": str(row["id"])} for _, row in newest.iterrows()]
    (folder / "bench-deck.toml").write_bytes(tomli_w.dumps(
        {"title": "Benchmark deck", "steps": steps}).encode("utf-8"))
    return "bench-deck"


def commands(folder: Path) -> dict[str, list[str]]:
    base = [str(BIN), "export", "--data", str(DATA), "--offline"]
    return {
        "png": [*base, "-o", str(folder / "bench.png")],
        "deck": [*base, "-o", str(folder / "bench.pdf"), "--briefing", deck_briefing(folder),
                 "--briefings-dir", str(folder)],
        "gif": [*base, "-o", str(folder / "bench.gif"), "--years", "1983-2025"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=list(TARGETS), action="append",
                        help="time only this deliverable (repeatable)")
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for kind, command in commands(folder).items():
            if args.only and kind not in args.only:
                continue
            out = Path(command[command.index("-o") + 1])
            print(f"{kind}: {shlex.join(command)}")
            times = []
            for run in range(1, args.runs + 1):
                before = load()
                started = time.perf_counter()
                result = subprocess.run(command, capture_output=True, text=True)
                elapsed = time.perf_counter() - started
                if result.returncode != 0 or not out.exists():
                    print(f"  run {run} failed ({result.returncode}): {result.stderr.strip()}")
                    return 1
                size = out.stat().st_size
                out.unlink()
                times.append(elapsed)
                print(f"  run {run}: {elapsed:.2f} s ({size:,} bytes), load before {before}")
            results[kind] = (statistics.median(times), min(times), max(times), load())
    print()
    for kind, (median, low, high, after) in results.items():
        print(f"{kind:5} median {median:6.2f} s (min {low:.2f}, max {high:.2f}; target "
              f"{TARGETS[kind]:g} s at rest) load {after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
