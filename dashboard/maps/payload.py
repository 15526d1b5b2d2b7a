"""The dataset in the browser's compact form, written once per dataset and fetched by hash.

A large dataset does not travel inside the map: :func:`write_payload` writes it once into
a cache folder that the dashboard serves (``dashboard/static/cache/``, at
``/app/static/cache/``), under a name made from the dataset's content hash, and the map
only names that hash. A filter change then sends only :func:`encode_mask`, one bit per
row (about 42 KB for 250,000 rows), and the browser keeps the data it already has.

Files for a dataset with key ``K`` (all written atomically, never rewritten):

- ``K.bin``: the columns the map draws from, little-endian: ``IMD1``, a ``uint32`` header
  length, a UTF-8 JSON header (``count``, ``columns`` with ``name``/``dtype``/``offset``,
  the vocabularies), then the typed arrays (``lat``/``lon`` float32, ``type``/``attr``/
  ``prec`` uint8, ``year`` int16 with ``-32768`` for undated rows), each 4-byte aligned;
- ``K-t<N>.json``: the popup texts (HTML-escaped title, date, place, id) of rows
  ``N * TEXT_CHUNK`` onwards, fetched only when a popup of one of those rows opens.

Example::

    key = write_payload(incidents, cache_dir)
    mask = encode_mask(apply_filters(incidents, filters).index, len(incidents))
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.base.files import write_atomic
from dashboard.data.loading import text_column
from dashboard.data.schema import ATTRIBUTIONS, EVENT_TYPES, GEO_PRECISIONS
from dashboard.maps.html_text import escape

CACHE_DIR = Path(__file__).resolve().parents[1] / "static" / "cache"
URL_PREFIX = "/app/static/cache/"
MAGIC = b"IMD1"
FORMAT_VERSION = 1
#: Rows per popup-text file.
TEXT_CHUNK = 2_000
NO_YEAR = -32768
TITLE_LIMIT = 140

#: The columns the key is made from: everything the payload carries.
KEY_COLUMNS = ("id", "lat", "lon", "event_type", "attribution", "geo_precision", "year",
               "title", "date_label", "place")


def dataset_key(incidents: pd.DataFrame) -> str:
    """A content hash of what the payload carries (20 hex digits); same rows, same key."""
    digest = hashlib.sha256(f"v{FORMAT_VERSION}:{len(incidents)}".encode())
    for column in KEY_COLUMNS:
        if column in incidents.columns:
            values = pd.util.hash_pandas_object(incidents[column], index=False)
            digest.update(column.encode())
            digest.update(values.to_numpy().tobytes())
    return digest.hexdigest()[:20]


def _codes(values: pd.Series, vocabulary: list[str]) -> np.ndarray:
    """Each value's position in ``vocabulary`` (``other``'s, or 0, for a value not in it)."""
    codes = pd.Categorical(values.to_numpy(dtype=object), categories=vocabulary).codes
    fallback = vocabulary.index("other") if "other" in vocabulary else 0
    return np.where(codes < 0, fallback, codes).astype(np.uint8)


def payload_columns(incidents: pd.DataFrame) -> dict[str, np.ndarray]:
    """The typed arrays of the binary file, in row order (rows without coordinates: NaN)."""
    lat = pd.to_numeric(incidents["lat"], errors="coerce").to_numpy(dtype=np.float32)
    lon = pd.to_numeric(incidents["lon"], errors="coerce").to_numpy(dtype=np.float32)
    year = pd.to_numeric(incidents["year"], errors="coerce")
    return {
        "lat": lat,
        "lon": lon,
        "type": _codes(text_column(incidents, "event_type"), list(EVENT_TYPES)),
        "attr": _codes(text_column(incidents, "attribution"), list(ATTRIBUTIONS)),
        "prec": _codes(text_column(incidents, "geo_precision"), list(GEO_PRECISIONS)),
        "year": year.fillna(NO_YEAR).to_numpy(dtype=np.int16),
    }


def binary_payload(incidents: pd.DataFrame) -> bytes:
    """The ``K.bin`` file's bytes (see the module's description)."""
    columns = payload_columns(incidents)
    layout, offset = [], 0
    for name, array in columns.items():
        layout.append({"name": name, "dtype": array.dtype.name, "offset": offset})
        offset += -(-array.nbytes // 4) * 4
    header = {
        "version": FORMAT_VERSION,
        "count": len(incidents),
        "textChunk": TEXT_CHUNK,
        "noYear": NO_YEAR,
        "columns": layout,
        "types": list(EVENT_TYPES),
        "attrs": list(ATTRIBUTIONS),
        "precs": list(GEO_PRECISIONS),
    }
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-(len(MAGIC) + 4 + len(head)) % 4)
    parts = [MAGIC, struct.pack("<I", len(head)), head]
    for array in columns.values():
        raw = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        parts.append(raw + b"\0" * (-len(raw) % 4))
    return b"".join(parts)


def read_binary_payload(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """Header and columns of a ``K.bin`` file (the browser's reading, in Python)."""
    if data[:4] != MAGIC:
        raise ValueError("not an incident payload (no IMD1 magic)")
    (length,) = struct.unpack_from("<I", data, 4)
    header = json.loads(data[8:8 + length])
    start = 8 + length
    count = header["count"]
    columns = {}
    for column in header["columns"]:
        dtype = np.dtype(column["dtype"]).newbyteorder("<")
        columns[column["name"]] = np.frombuffer(data, dtype=dtype, count=count,
                                                offset=start + column["offset"])
    return header, columns


def _texts(incidents: pd.DataFrame) -> dict[str, list[str]]:
    def escaped(values: pd.Series, limit: int | None = None) -> list[str]:
        if limit is not None:
            long = values.str.len() > limit
            values = values.where(~long, values.str.slice(0, limit - 1) + "\u2026")
        unique = pd.unique(values.to_numpy(dtype=object))
        table = {value: escape(value) for value in unique}
        return [table[value] for value in values.tolist()]

    return {
        "title": escaped(text_column(incidents, "title"), TITLE_LIMIT),
        "date": escaped(text_column(incidents, "date_label")),
        "place": escaped(text_column(incidents, "place")),
        "id": escaped(text_column(incidents, "id")),
    }


def text_chunks(incidents: pd.DataFrame, chunks=None) -> dict[str, dict[str, list[str]]]:
    """The popup texts of ``incidents`` by chunk number (as text), as the ``K-t<N>.json``
    files hold them; ``chunks``: only those numbers (default: all)."""
    if chunks is not None:  # only those rows' texts are made
        return {str(chunk): _texts(incidents.iloc[chunk * TEXT_CHUNK:(chunk + 1) * TEXT_CHUNK])
                for chunk in sorted(chunks)}
    texts = _texts(incidents)
    starts = range(0, max(len(incidents), 1), TEXT_CHUNK)
    return {str(chunk): {name: values[start:start + TEXT_CHUNK]
                         for name, values in texts.items()}
            for chunk, start in enumerate(starts)}


def data_url(incidents: pd.DataFrame) -> str:
    """The binary payload as a ``data:`` URL, for a page that carries its data inside."""
    return ("data:application/octet-stream;base64,"
            + base64.b64encode(binary_payload(incidents)).decode("ascii"))


def script_safe_json(value) -> str:
    """JSON with ``<``, ``>`` and ``&`` as ``\\u`` escapes (texts are HTML already)."""
    return (json.dumps(value, separators=(",", ":"), ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def payload_files(key: str, count: int) -> list[str]:
    """The file names a dataset of ``count`` rows with key ``key`` is written to."""
    chunks = max(1, -(-count // TEXT_CHUNK))
    return [f"{key}.bin", *(f"{key}-t{n}.json" for n in range(chunks))]


def write_payload(incidents: pd.DataFrame, cache_dir: Path | None = None,
                  key: str | None = None) -> str:
    """Write the dataset's payload files (once: existing ones are kept); return its key.

    ``incidents`` is the whole dataset in its loaded order; masks index into that order.
    """
    folder = cache_dir or CACHE_DIR
    key = key or dataset_key(incidents)
    names = payload_files(key, len(incidents))
    if all((folder / name).is_file() for name in names):
        return key
    texts = _texts(incidents)
    for chunk, start in enumerate(range(0, max(len(incidents), 1), TEXT_CHUNK)):
        part = {name: values[start:start + TEXT_CHUNK] for name, values in texts.items()}
        write_atomic(folder / f"{key}-t{chunk}.json", script_safe_json(part), parents=True)
    # The binary file last: its presence means the texts are there too.
    write_atomic(folder / f"{key}.bin", binary_payload(incidents), parents=True)
    return key


#: The cache folder is kept under this size and age (files of the datasets in use stay).
CACHE_MAX_BYTES = 512 * 1024 * 1024
CACHE_MAX_AGE_S = 30 * 24 * 3600


def prune_cache(keep: set[str] | frozenset[str] = frozenset(), cache_dir: Path | None = None,
                *, max_bytes: int = CACHE_MAX_BYTES, max_age_s: float = CACHE_MAX_AGE_S,
                now: float | None = None) -> list[Path]:
    """Delete payloads (all files of a key together) older than ``max_age_s``, then the
    least recently written ones until the folder holds at most ``max_bytes``; the keys in
    ``keep`` (the datasets being shown) and files that are not payloads are never deleted.
    Returns the files deleted."""
    import time

    folder = cache_dir or CACHE_DIR
    if not folder.is_dir():
        return []
    now = time.time() if now is None else now
    groups: dict[str, list[Path]] = {}
    for path in folder.iterdir():
        key = path.name.split(".", 1)[0].split("-t", 1)[0]
        if path.is_file() and len(key) == 20 and path.suffix in (".bin", ".json"):
            groups.setdefault(key, []).append(path)
    sized = []
    for key, files in groups.items():
        try:
            stats = [f.stat() for f in files]
        except OSError:  # another process pruned it meanwhile
            continue
        sized.append((max(st.st_mtime for st in stats), sum(st.st_size for st in stats),
                      key, files))
    sized.sort()  # oldest first
    total = sum(size for _, size, _, _ in sized)
    deleted: list[Path] = []
    for mtime, size, key, files in sized:
        if key in keep or (now - mtime <= max_age_s and total <= max_bytes):
            continue
        for path in files:
            path.unlink(missing_ok=True)
            deleted.append(path)
        total -= size
    return deleted


def payload_url(key: str) -> str:
    """Where the browser fetches the payload (the text files sit beside it)."""
    return f"{URL_PREFIX}{key}.bin"


def encode_mask(positions, count: int) -> str | None:
    """The rows at ``positions`` (0-based, in the dataset's order) as a base64 bitset.

    Bit ``i`` (little-endian within each byte) is row ``i``; ``None`` means every row.
    When zlib makes the bitset smaller (a year range is a run of rows, as the dataset is
    in date order), the text is ``z:`` followed by the base64 of the zlib stream.
    """
    positions = np.asarray(positions, dtype=np.int64)
    bits = np.zeros(count, dtype=bool)
    bits[positions] = True
    if count and len(positions) >= count and bits.all():
        return None
    packed = np.packbits(bits, bitorder="little").tobytes()
    squeezed = zlib.compress(packed, 6)
    if len(squeezed) < len(packed):
        return "z:" + base64.b64encode(squeezed).decode("ascii")
    return base64.b64encode(packed).decode("ascii")


def decode_mask(mask: str | None, count: int) -> np.ndarray:
    """The positions a mask from :func:`encode_mask` selects (its inverse)."""
    if mask is None:
        return np.arange(count)
    if mask.startswith("z:"):
        packed = zlib.decompress(base64.b64decode(mask[2:]))
    else:
        packed = base64.b64decode(mask)
    bits = np.unpackbits(np.frombuffer(packed, dtype=np.uint8), bitorder="little")[:count]
    return np.flatnonzero(bits)
