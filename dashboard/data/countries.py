"""Country names and ISO 3166-1 alpha-2 codes, from pycountry.

>>> country_name("DE")
'Germany'
>>> normalise_country("Türkiye"), normalise_country("USA"), normalise_country("xk")
('TR', 'US', 'XK')
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import pycountry

#: Everyday names where pycountry has only an inverted list-style name ("Congo, The
#: Democratic Republic of the") and no common name.
_EVERYDAY_NAMES = {
    "CD": "Democratic Republic of the Congo",
    "FM": "Micronesia",
    "PS": "Palestine",
    "VG": "British Virgin Islands",
    "VI": "US Virgin Islands",
}

#: Codes in use that ISO 3166-1 has not (yet) assigned. Kosovo uses the
#: user-assigned code XK, as the European Commission and many data sets do.
EXTRA_COUNTRIES = {"XK": "Kosovo"}

# Everyday names pycountry does not list as a name, official name or common name.
_ALIASES = {
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "america": "US",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "russia": "RU",
    "soviet union": "RU",
    "ussr": "RU",
    "west germany": "DE",
    "east germany": "DE",
    "turkey": "TR",
    "kosovo": "XK",
    "czech republic": "CZ",
    "holland": "NL",
    "south korea": "KR",
    "north korea": "KP",
    "iran": "IR",
    "syria": "SY",
    "moldova": "MD",
    "vietnam": "VN",
    "laos": "LA",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    # As conflict data sets and the CIA and World Bank lists write them, so that a place
    # string ending "..., Congo (Kinshasa)" names its country.
    "democratic republic of congo": "CD",
    "dr congo": "CD",
    "drc": "CD",
    "congo (kinshasa)": "CD",
    "congo-kinshasa": "CD",
    "congo, dem. rep.": "CD",
    "zaire": "CD",
    "republic of congo": "CG",
    "congo (brazzaville)": "CG",
    "congo-brazzaville": "CG",
    "congo, rep.": "CG",
    "ivory coast": "CI",
    "burma": "MM",
    "swaziland": "SZ",
    "macedonia": "MK",
    "east timor": "TL",
    "bosnia-herzegovina": "BA",
    "west bank and gaza strip": "PS",
    "the gambia": "GM",
    "cape verde": "CV",
    "brunei": "BN",
}


def _fold(text: str) -> str:
    """Lower-case and strip accents: ``"Türkiye"`` -> ``"turkiye"``."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def is_country_code(code: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-2 code (upper case) or ``XK``."""
    if not isinstance(code, str) or len(code) != 2 or not code.isupper():
        return False
    return code in EXTRA_COUNTRIES or pycountry.countries.get(alpha_2=code) is not None


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """The everyday English name of a country code; the code itself if unknown."""
    code = (code or "").upper()
    if code in EXTRA_COUNTRIES:
        return EXTRA_COUNTRIES[code]
    if code in _EVERYDAY_NAMES:
        return _EVERYDAY_NAMES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return getattr(country, "common_name", None) or country.name


@lru_cache(maxsize=4096)
def normalise_country(text: str) -> str | None:
    """ISO alpha-2 code for a code (alpha-2 or alpha-3) or a name; ``None`` if unknown."""
    if not text or not text.strip():
        return None
    raw = text.strip()
    if raw.upper() in EXTRA_COUNTRIES:
        return raw.upper()
    folded = _fold(raw)
    if folded in _ALIASES:
        return _ALIASES[folded]
    if folded in _name_index():
        return _name_index()[folded]
    if len(raw) in (2, 3) and raw.isalpha():
        try:
            return pycountry.countries.lookup(raw).alpha_2
        except LookupError:
            return None
    return None


@lru_cache(maxsize=1)
def _name_index() -> dict[str, str]:
    names = {**EXTRA_COUNTRIES, **_EVERYDAY_NAMES}
    index: dict[str, str] = {_fold(name): code for code, name in names.items()}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                index.setdefault(_fold(value), country.alpha_2)
    return index
