"""UCDP GED: precision codes never made more precise, low/best/high deaths, side A and B."""

from __future__ import annotations

from dashboard.data.importers import import_file
from tests.data.importers.samples import UCDP_GED, write_csv


def ged(**cells: str) -> dict:
    row = {"id": "244657", "relid": "SOM-2016-1-1-1", "year": "2016", "type_of_violence": "3",
           "side_a": "Government of Somalia", "side_b": "Civilians",
           "source_article": "Reuters, 2016-03-02; AFP, 2016-03-03",
           "where_prec": "1", "where_coordinates": "Mogadishu town", "adm_1": "Banaadir region",
           "latitude": "2.03711", "longitude": "45.34375", "country": "Somalia",
           "date_prec": "1", "date_start": "2016-03-02 00:00:00.000",
           "date_end": "2016-03-02 00:00:00.000", "best": "5", "high": "8", "low": "3"}
    row.update(cells)
    return row


def test_ged_rows_keep_their_precision_and_death_range(tmp_path):
    rows = [
        ged(),
        ged(id="2", where_prec="4", date_prec="4", date_start="2016-03-01",
            date_end="2016-03-31", best="0", low="0", high="0", type_of_violence="1",
            side_b="Al-Shabaab"),
        ged(id="3", where_prec="6", date_prec="5", date_start="2015-11-20",
            date_end="2016-02-01", country="DR Congo (Zaire)"),
        ged(id="4", where_prec="7", country=""),
    ]
    result = import_file(write_csv(tmp_path / "ged.csv", UCDP_GED, rows))
    assert result.source == "ucdp"
    assert [str(p) for p in result.problems] == [
        "row 5, column where_prec: 7: international waters or airspace, no country; row left out"]
    exact, month, vague = result.incidents.to_dict(orient="records")
    assert (exact["date"], exact["date_precision"], exact["geo_precision"]) == (
        "2016-03-02", "day", "city")
    assert (exact["fatalities"], exact["attribution"], exact["sponsor"]) == (
        "5", "alleged", "Government of Somalia")
    assert "deaths low 3, best 5, high 8" in exact["notes"]
    assert exact["sources"] == "UCDP GED event 244657; Reuters, 2016-03-02; AFP, 2016-03-03"
    assert exact["place"] == "Mogadishu town, Banaadir region, Somalia"
    assert (month["date"], month["date_precision"], month["geo_precision"]) == (
        "2016-03", "month", "region")
    assert (vague["date"], vague["date_precision"], vague["geo_precision"], vague["country"]) == (
        "2015", "year", "country", "CD")
