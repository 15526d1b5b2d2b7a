"""Analysts' files as they come, each shape written here at test time: dates with times of
day, a file with no country, GeoJSON without "type", a comma file re-saved with semicolons,
a workbook declaring the wrong size, repeated headers, world-region columns, swapped
coordinates, blank lines, and the GIS formats (KMZ with timestamps, zipped Shapefile in a
national grid, GeoPackage, GPX, FlatGeobuf)."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import zipfile

import numpy as np
import pytest

from dashboard.data.importers import Mapping, import_file, read_file, write_dataset
from dashboard.data.schema import DatasetError, validate_file
from tests.data.importers.samples import BIN, run_import, write_xlsx


def write_rows(path, rows, delimiter=","):
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


POLICE = [
    ["Incident Number", "Date Occurred", "Offense", "Block Address", "Latitude", "Longitude"],
    ["16-001", "6/15/2016 11:31:00 PM", "HOMICIDE", "100 Main St", "41.8500", "-87.6500"],
    ["16-002", "6/16/2016 1:05 AM", "ASSAULT", "200 Oak Ave", "41.8600", "-87.6400"],
    ["17-003", "1/2/2017 09:05:12 PM", "HOMICIDE", "300 Elm St", "-87.6300", "41.8700"],
]


def test_us_dates_with_times_and_no_country_through_the_command_line(tmp_path):
    path = write_rows(tmp_path / "police.csv", POLICE)
    out = tmp_path / "police-dataset.csv"
    refused = run_import(path, "-o", out)
    assert refused.returncode == 1 and not out.exists()
    assert "no country column found" in refused.stderr and "--country US" in refused.stderr
    saved = tmp_path / "police-map.json"
    run = run_import(path, "-o", out, "--country", "US", "--save-map", saved)
    assert run.returncode == 0, run.stderr
    checked = subprocess.run([str(BIN), "validate", str(out)], capture_output=True, text=True,
                             timeout=120)
    assert checked.returncode == 0 and "valid" in checked.stdout, checked.stdout
    text = out.read_text(encoding="utf-8")
    assert "2016-06-15" in text and "2016-06-16" in text and "2017-01-02" in text
    assert "note: dates (column \"Date Occurred\"): month-first: 2 values have a day above 12" \
        in run.stderr
    assert "note: country = US for every row" in run.stderr
    # The swapped point is put right and said so, the others kept as written.
    assert "latitude and longitude look swapped" in run.stderr
    assert "latitude and longitude look swapped in the file, swapped back" in text
    assert "41.8700,-87.6300" in text.replace('"', "")
    # The mapping saved is reused as it is.
    assert json.loads(saved.read_text())["values"] == {"country": "US"}
    again = run_import(path, "-o", tmp_path / "again.csv", "--map", saved)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.csv").read_text(encoding="utf-8") == text
    # The guess can be overridden: the point kept as written, still flagged.
    kept = import_file(path, mapping=Mapping(values={"country": "US"}, as_written=True))
    assert kept.incidents.iloc[2][["lat", "lon"]].tolist() == ["-87.6300", "41.8700"]
    assert "kept as written" in kept.incidents.iloc[2]["notes"]


@pytest.mark.parametrize(("values", "order", "expected"), [
    (["09-01-2018 00:01", "25-12-2018 23:59"], "day-first", ["2018-01-09", "2018-12-25"]),
    (["2016-06-15T23:31:00-05:00", "2016-06-16T04:31:00Z"], "", ["2016-06-15", "2016-06-16"]),
    (["43960", "43961.75"], "", ["2020-05-09", "2020-05-10"]),
    (["03/04/2019 14:00", "05/06/2019 02:00"], "day-first", ["2019-04-03", "2019-06-05"]),
    (["Tue, March 21, 2017 10:00 EST", "21 March 2017 10:00:00"], "", ["2017-03-21"] * 2),
])
def test_dates_as_people_write_them(tmp_path, values, order, expected):
    rows = [["When", "Country"], *([v, "Chile"] for v in values)]
    result = import_file(write_rows(tmp_path / "dates.csv", rows))
    assert result.incidents["date"].tolist() == expected, result.problems
    assert any(order in notice for notice in result.notices) or not order


def test_the_date_order_can_be_overridden(tmp_path):
    rows = [["Date", "Country"], ["03/04/2019", "Chile"], ["05/06/2019", "Chile"]]
    path = write_rows(tmp_path / "dates.csv", rows)
    assert import_file(path).incidents["date"].tolist() == ["2019-04-03", "2019-06-05"]
    chosen = import_file(path, mapping=Mapping(date_order="month-first"))
    assert chosen.incidents["date"].tolist() == ["2019-03-04", "2019-05-06"]


def test_a_comma_file_resaved_with_semicolons_is_read(tmp_path):
    # A spreadsheet set to semicolons re-saves each line holding a quote or a semicolon
    # wrapped whole in quotes (GTD's CSV as published).
    lines = [
        "eventid,iyear,imonth,iday,country_txt,provstate,city,latitude,longitude,summary,nkill",
        "201501010001,2015,1,1,Iraq,Baghdad,Baghdad,33.3,44.4,A car bomb exploded.,3",
        '"201501020001,2015,1,2,Iraq,Baghdad,Baghdad,33.3,44.4,""Assailants; two died."",2"',
        '"201501030001,2015,1,3,Iraq,Anbar,Ramadi,33.4,43.3,""A bomb, then gunfire."",0"',
    ]
    path = tmp_path / "gtd.csv"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    result = import_file(path)
    assert result.source == "gtd" and result.rows_out == 3 and result.problems == []
    assert any("wrapped whole in quotes" in notice for notice in result.notices)
    assert "Assailants; two died." in result.incidents["summary"].tolist()


def test_a_workbook_that_declares_the_wrong_size_and_repeats_a_header(tmp_path):
    path = write_xlsx(tmp_path / "list.xlsx", ["date", "city", "country", "age", "age"],
                      [["2019-05-01", "Lyon", "France", 31, 45],
                       ["2019-05-02", "Nice", "France", 22, 23]])
    # Some writers declare "A1" as the sheet's size: openpyxl then reads one column.
    packed = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(packed, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1"/>', data)
            target.writestr(item, data)
    path.write_bytes(packed.getvalue())
    table = read_file(path)
    assert list(table.frame.columns) == ["date", "city", "country", "age", "age_2"]
    assert any('"age" (column 5) as age_2' in notice for notice in table.notices)
    result = import_file(path)
    assert result.rows_out == 2 and result.incidents["place"].tolist() == [
        "Lyon, France", "Nice, France"]


def test_region_columns_fatalities_synonyms_and_blank_lines(tmp_path):
    rows = [["date", "region", "state", "city", "country", "n_killed"],
            ["2015-01-01", "Middle East & North Africa", "Baghdad", "Baghdad", "Iraq", "3"],
            ["2015-01-02", "Middle East & North Africa", "Damascus", "Damascus", "Syria", "0"],
            ["", "", "", "", "", ""], ["", "", "", "", "", ""]]
    result = import_file(write_rows(tmp_path / "mena.csv", rows))
    assert result.incidents["place"].tolist() == ["Baghdad, Iraq", "Damascus, Syria"]
    assert result.incidents["fatalities"].tolist() == ["3", "0"]
    assert (result.rows_in, result.refused, result.blank) == (2, 0, 2)
    assert "2 blank line(s) ignored" in result.summary()
    notes = " ".join(result.notices)
    assert 'region ← column "state" (its header); not "region": holds world regions' in notes
    assert 'fatalities ← "n_killed"' in notes


def test_geojson_features_as_exports_write_them(tmp_path):
    features = [
        {"id": "a-1", "properties": {"when": "2020-05-09", "where": {"city": "Kharkiv",
                                                                     "country": "Ukraine"}},
         "geometry": {"type": "Point", "coordinates": [36.23, 49.99]}},
        {"id": "a-2", "properties": {"when": "2020-05-10", "where": {"city": "Odesa",
                                                                     "country": "Ukraine"}},
         "geometry": {"type": "Polygon", "coordinates": [[[30, 46], [31, 46], [31, 47],
                                                          [30, 47], [30, 46]]]}},
        {"id": "a-3", "properties": {"when": "2020-05-11", "where": {"city": "Lviv",
                                                                     "country": "Ukraine"}},
         "geometry": {"type": "MultiPoint", "coordinates": [[24.03, 49.84], [24.05, 49.85]]}},
    ]
    path = tmp_path / "export.geojson"
    path.write_text(json.dumps({"features": features}))
    result = import_file(path, mapping={"date": "when", "place": "where.city",
                                        "country": "where.country"})
    write_dataset(result.incidents, tmp_path / "out.csv")
    assert validate_file(tmp_path / "out.csv") == []
    assert result.incidents["id"].tolist() == ["a-1", "a-2", "a-3"]
    polygon = result.incidents.iloc[1]
    assert 46 < float(polygon["lat"]) < 47 and 30 < float(polygon["lon"]) < 31
    assert "a representative point of its Polygon" in polygon["notes"]
    assert any("Polygon ×1, MultiPoint ×1" in notice for notice in result.notices)


def test_losing_most_rows_refuses_to_write_unless_allowed(tmp_path):
    rows = [["Date", "Country"], ["2020-01-01", "Chile"]] + [["soon", "Chile"]] * 3
    path = write_rows(tmp_path / "lossy.csv", rows)
    out = tmp_path / "out.csv"
    run = run_import(path, "-o", out)
    assert run.returncode == 1 and not out.exists()
    assert "only 25% of the rows" in run.stderr
    assert "column Date: … is not a usable date (3 rows)" in run.stderr
    allowed = run_import(path, "-o", out, "--allow-partial")
    assert allowed.returncode == 0 and validate_file(out) == []


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Incidents</name>
<Folder><name>Shootings</name>
<Placemark><name>Shooting at the market</name>
<description><![CDATA[Two <b>killed</b><br>https://example.org/report]]></description>
<TimeStamp><when>2016-06-15T23:31:00-05:00</when></TimeStamp>
<Point><coordinates>-87.65,41.85,0</coordinates></Point></Placemark>
<Placemark><name>Arson in the park</name>
<TimeSpan><begin>2017-01-02</begin><end>2017-01-03</end></TimeSpan>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
-87.70,41.80 -87.70,41.81 -87.69,41.81 -87.69,41.80 -87.70,41.80
</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Folder></Document></kml>"""


def test_a_kmz_of_placemarks_with_timestamps(tmp_path):
    path = tmp_path / "mymap.kmz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("doc.kml", KML)
    out = tmp_path / "out.csv"
    run = run_import(path, "-o", out, "--country", "US")
    assert run.returncode == 0, run.stderr
    assert validate_file(out) == []
    result = import_file(path, mapping=Mapping(values={"country": "US"}))
    market, park = result.incidents.to_dict(orient="records")
    assert (market["date"], market["title"], market["lat"]) == (
        "2016-06-15", "Shooting at the market", "41.85")
    assert market["summary"] == "Two killed\nhttps://example.org/report"
    assert park["date"] == "2017-01-02" and "representative point of its Polygon" in park["notes"]


def _write_layer(path, driver, rows, crs="EPSG:4326", geometry_type="Point", **options):
    import pyogrio.raw
    import shapely

    points = shapely.points([(x, y) for x, y, *_ in rows])
    fields = [np.array([r[2] for r in rows], dtype=object),
              np.array([r[3] for r in rows], dtype=object)]
    pyogrio.raw.write(path, shapely.to_wkb(points), fields, ["date", "name"], driver=driver,
                      geometry_type=geometry_type, crs=crs, **options)
    return path


def test_a_zipped_shapefile_in_a_national_grid(tmp_path):
    from pyproj import Transformer

    # Berlin and Hamburg in ETRS89 / UTM zone 32N, as German authorities publish them.
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    rows = [(*to_utm.transform(13.405, 52.52), "2019-08-23", "Berlin"),
            (*to_utm.transform(9.99, 53.55), "2019-08-24", "Hamburg")]
    folder = tmp_path / "shp"
    folder.mkdir()
    _write_layer(folder / "events.shp", "ESRI Shapefile", rows, crs="EPSG:25832")
    path = tmp_path / "events.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for part in folder.iterdir():
            archive.write(part, part.name)
    result = import_file(path, mapping=Mapping({"place": "name"}, {"country": "DE"}))
    write_dataset(result.incidents, tmp_path / "out.csv")
    assert validate_file(tmp_path / "out.csv") == []
    berlin = result.incidents.iloc[0]
    assert abs(float(berlin["lat"]) - 52.52) < 1e-4 and abs(float(berlin["lon"]) - 13.405) < 1e-4


@pytest.mark.parametrize(("name", "driver", "options"), [
    ("events.gpkg", "GPKG", {}),
    ("events.fgb", "FlatGeobuf", {}),
])
def test_geopackage_and_flatgeobuf(tmp_path, name, driver, options):
    path = _write_layer(tmp_path / name, driver, [(30.52, 50.45, "2022-02-24", "Kyiv")],
                        **options)
    result = import_file(path, mapping=Mapping({"place": "name"}, {"country": "UA"}))
    assert result.incidents[["date", "lat", "lon"]].values.tolist() == [
        ["2022-02-24", "50.45", "30.52"]]


def test_gpx_waypoints_are_the_placemarks(tmp_path):
    path = tmp_path / "walk.gpx"
    path.write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1">'
        '<wpt lat="50.45" lon="30.52"><time>2022-02-24T05:00:00Z</time><name>Blast</name>'
        "<desc>Heard from the square</desc></wpt>"
        '<trk><name>route</name><trkseg><trkpt lat="50.4" lon="30.5"/>'
        '<trkpt lat="50.5" lon="30.6"/></trkseg></trk></gpx>')
    result = import_file(path, mapping=Mapping(values={"country": "UA"}))
    assert result.rows_out == 1
    row = result.incidents.iloc[0]
    assert (row["date"], row["title"], row["summary"]) == (
        "2022-02-24", "Blast", "Heard from the square")


def test_what_is_not_an_incident_list_gets_one_line(tmp_path):
    path = tmp_path / "track.gpx"
    path.write_text('<?xml version="1.0"?><gpx version="1.1" '
                    'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
                    '<trkpt lat="50.4" lon="30.5"/></trkseg></trk></gpx>')
    with pytest.raises(DatasetError, match="a GPX without waypoints") as error:
        import_file(path)
    assert "\n" not in str(error.value)
