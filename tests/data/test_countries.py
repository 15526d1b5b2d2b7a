"""Country codes and names through pycountry."""

import pytest

from dashboard.data.countries import country_name, is_country_code, normalise_country


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("DE", "DE"), ("de", "DE"), ("DEU", "DE"), ("Germany", "DE"), ("Spain", "ES"),
        ("España", None), ("Türkiye", "TR"), ("Turkey", "TR"), ("Russia", "RU"),
        ("Russian Federation", "RU"), ("USA", "US"), ("United States", "US"),
        ("UK", "GB"), ("United Kingdom", "GB"), ("Kosovo", "XK"), ("xk", "XK"),
        ("Mexico", "MX"), ("Atlantis", None), ("", None),
        # As conflict data sets write them (ACLED, GTD, UCDP, the CIA's list).
        ("Democratic Republic of Congo", "CD"), ("DR Congo", "CD"), ("Congo (Kinshasa)", "CD"),
        ("Republic of Congo", "CG"), ("Congo (Brazzaville)", "CG"), ("Ivory Coast", "CI"),
        ("Burma", "MM"), ("Swaziland", "SZ"), ("East Timor", "TL"),
        ("Bosnia-Herzegovina", "BA"), ("West Bank and Gaza Strip", "PS"),
    ],
)
def test_normalise_country(text, code):
    assert normalise_country(text) == code


def test_names_for_codes():
    assert country_name("DE") == "Germany"
    assert country_name("XK") == "Kosovo"
    assert country_name("RU") == "Russian Federation"
    assert country_name("TW") == "Taiwan"  # pycountry's common name wins over the official one
    assert country_name("QQ") == "QQ"
    assert country_name("CD") == "Democratic Republic of the Congo"
    assert country_name("PS") == "Palestine"
    assert normalise_country("Democratic Republic of the Congo") == "CD"


def test_country_code_check_is_strict():
    assert is_country_code("ES") and is_country_code("XK")
    assert not is_country_code("es") and not is_country_code("SU") and not is_country_code("ESP")
