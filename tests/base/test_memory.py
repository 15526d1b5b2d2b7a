"""Freed memory goes back to the system when the server trims it."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc
from dashboard.base.memory import trim

def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS")) // 1024

before = rss()
# blocks of a kilobyte (malloc's, not Python's own small-object arenas), one in 64 kept:
# without a trim the freed ones between them stay in the process
held = [b"x" * 1000 + bytes([n % 256]) for n in range(400_000)]
kept = held[::64]
grown = rss()
del held
gc.collect()
freed = rss()
trim()
print(before, grown, freed, rss())
"""


def test_small_blocks_freed_are_given_back_by_a_trim():
    output = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                            check=True, timeout=120).stdout
    before, grown, freed, trimmed = map(int, output.split())
    assert grown - before > 300  # MB
    assert freed - before > 300  # freed, and still held by the process
    assert trimmed - before < 100, (before, grown, freed, trimmed)  # given back
