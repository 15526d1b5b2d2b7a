"""scripts/make_large_dataset.py writes any size in blocks: valid, unique ids, atomic."""

from __future__ import annotations

import importlib.util

from dashboard.data.loading import load_incidents
from tests.paths import SCRIPTS


def _module():
    spec = importlib.util.spec_from_file_location("make_large_dataset",
                                                  SCRIPTS / "make_large_dataset.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_blocks_make_one_valid_file(tmp_path, monkeypatch):
    module = _module()
    monkeypatch.setattr(module, "CHUNK", 400)
    seen = []
    path = module.write_dataset(tmp_path / "big.csv", 1_000, progress=seen.append)
    assert seen == [400, 800, 1_000]
    frame = load_incidents(path)  # validates every row
    assert len(frame) == 1_000 and frame["id"].is_unique
    assert set(frame["event_type"]) == set(module.EVENT_TYPES)
    assert (frame.loc[frame["event_type"] == "diplomatic_expulsion", "persons"] > 0).all()
    assert [p.name for p in tmp_path.iterdir()] == ["big.csv"]


def test_the_same_seed_gives_the_same_file(tmp_path):
    module = _module()
    a = module.write_dataset(tmp_path / "a.csv", 300, seed=3).read_bytes()
    b = module.write_dataset(tmp_path / "b.csv", 300, seed=3).read_bytes()
    assert a == b
    assert module.write_dataset(tmp_path / "c.csv", 300, seed=4).read_bytes() != a
