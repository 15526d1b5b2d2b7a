"""The browser payload: written to real files, read back, keyed by content; masks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dashboard.data.filters import Filters, apply_filters
from dashboard.data.loading import load_incidents
from dashboard.maps.payload import (
    NO_YEAR,
    TEXT_CHUNK,
    dataset_key,
    decode_mask,
    encode_mask,
    payload_files,
    prune_cache,
    read_binary_payload,
    write_payload,
)
from tests.conftest import base_row


@pytest.fixture
def incidents(make_dataset):
    rows = [
        base_row(),
        base_row(id="2022-04-04-de-expulsion", date="2022-04", date_precision="month",
                 event_type="diplomatic_expulsion", attribution="suspected",
                 title="Germany expels <b>40</b> diplomats", place="Berlin, Germany",
                 lat="52.52", lon="13.405", geo_precision="city", persons="40"),
        base_row(id="undated-assessment", date="", date_precision="undated",
                 event_type="assessment", attribution="unknown", title="{{ 7*7 }} & more",
                 place="Europe", country="DE", lat="", lon="", geo_precision="country"),
    ]
    return load_incidents(make_dataset(rows))


def test_payload_round_trip(incidents, tmp_path):
    folder = tmp_path / "cache"
    key = write_payload(incidents, folder)
    names = payload_files(key, len(incidents))
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)
    header, columns = read_binary_payload((folder / f"{key}.bin").read_bytes())
    assert header["count"] == 3
    assert columns["lat"][0] == pytest.approx(52.5262, abs=1e-4)
    assert columns["lon"][1] == pytest.approx(13.405, abs=1e-4)
    assert np.isnan(columns["lat"][2])
    types = [header["types"][code] for code in columns["type"]]
    assert types == list(incidents["event_type"])
    attrs = [header["attrs"][code] for code in columns["attr"]]
    assert attrs == list(incidents["attribution"])
    assert columns["year"].tolist() == [2019, 2022, NO_YEAR]


def test_popup_texts_are_escaped_html(incidents, tmp_path):
    key = write_payload(incidents, tmp_path)
    raw = (tmp_path / f"{key}-t0.json").read_text(encoding="utf-8")
    assert "<" not in raw and "&" not in raw.replace("\\u0026", "")
    texts = json.loads(raw)
    assert texts["title"][1] == "Germany expels &lt;b&gt;40&lt;/b&gt; diplomats"
    assert texts["title"][2] == "{{ 7*7 }} &amp; more"
    assert texts["id"] == list(incidents["id"])


def test_key_follows_content_and_files_are_not_rewritten(incidents, tmp_path):
    key = write_payload(incidents, tmp_path)
    assert dataset_key(incidents.copy()) == key
    changed = incidents.copy()
    changed.loc[0, "lat"] = 10.0
    assert dataset_key(changed) != key
    stamp = (tmp_path / f"{key}.bin").stat().st_mtime_ns
    assert write_payload(incidents, tmp_path) == key
    assert (tmp_path / f"{key}.bin").stat().st_mtime_ns == stamp


def test_text_chunks_split_rows(tmp_path, incidents):
    import pandas as pd

    many = pd.concat([incidents] * (TEXT_CHUNK // 3 + 2), ignore_index=True)
    key = write_payload(many, tmp_path)
    assert len(payload_files(key, len(many))) == 1 + 2
    second = json.loads((tmp_path / f"{key}-t1.json").read_text(encoding="utf-8"))
    assert len(second["id"]) == len(many) - TEXT_CHUNK
    assert second["id"][0] == many["id"].iloc[TEXT_CHUNK]


def test_mask_round_trip_and_size():
    count = 250_000
    rng = np.random.default_rng(3)
    positions = np.sort(rng.choice(count, size=90_000, replace=False))
    mask = encode_mask(positions, count)
    assert len(mask) <= 42_000  # one bit per row, base64
    assert np.array_equal(decode_mask(mask, count), positions)
    assert encode_mask(np.arange(count), count) is None
    assert decode_mask(None, 5).tolist() == [0, 1, 2, 3, 4]
    assert decode_mask(encode_mask([], 9), 9).tolist() == []


def test_runs_of_rows_are_compressed():
    count = 250_000
    years = np.arange(100_000, 180_000)  # a year range: one run of rows in date order
    mask = encode_mask(years, count)
    assert mask.startswith("z:") and len(mask) < 1_000
    assert np.array_equal(decode_mask(mask, count), years)


def test_mask_of_filtered_rows(incidents):
    filtered = apply_filters(incidents, Filters(event_types=("diplomatic_expulsion",)))
    positions = incidents.index.get_indexer(filtered.index)
    mask = encode_mask(positions, len(incidents))
    assert incidents["id"].iloc[decode_mask(mask, len(incidents))].tolist() == [
        "2022-04-04-de-expulsion"]


def test_the_cache_is_pruned_by_age_and_size(incidents, tmp_path):
    import os

    tmp_path = tmp_path / "cache"

    old = write_payload(incidents.iloc[:1], tmp_path)
    new = write_payload(incidents, tmp_path)
    other = tmp_path / "outline-0123456789abcdef.json"  # not a payload: never pruned
    other.write_text("{}")
    day = 24 * 3600
    for path in tmp_path.iterdir():
        if path.name.startswith(old):
            os.utime(path, (path.stat().st_atime, path.stat().st_mtime - 40 * day))
    names = {path.name for path in tmp_path.iterdir()}
    assert prune_cache(keep={new}, cache_dir=tmp_path) != []
    left = {path.name for path in tmp_path.iterdir()}
    assert left == {n for n in names if not n.startswith(old)}
    assert other.exists() and (tmp_path / f"{new}.bin").exists()
    # Over the size bound, the oldest go first, except the kept dataset.
    again = write_payload(incidents.iloc[:2], tmp_path)
    assert prune_cache(keep={again}, cache_dir=tmp_path, max_bytes=1) != []
    assert {path.name.split("-t")[0].split(".")[0] for path in tmp_path.iterdir()} == {
        again, "outline-0123456789abcdef"}
    assert prune_cache(keep={again}, cache_dir=tmp_path, max_bytes=1) == []
