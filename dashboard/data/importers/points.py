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
    swapped point."""
    lat = pd.to_numeric(rows["lat"], errors="coerce")
    lon = pd.to_numeric(rows["lon"], errors="coerce")
    country = rows["country"].astype(str)
    result = pd.Series(False, index=rows.index)
    candidates = lat.notna() & lon.notna() & (country != "") & (lon.abs() <= 90) & (
        lat != lon)
    if not candidates.any():
        return result
    keys = pd.DataFrame({"lat": lat, "lon": lon, "country": country})[candidates]
    unique = keys.drop_duplicates()
    here = _nearest(list(zip(unique["lat"], unique["lon"], strict=True)))
    there = _nearest(list(zip(unique["lon"], unique["lat"], strict=True)))
    here_country = np.array([place["country_code"] for place in here])
    there_country = np.array([place["country_code"] for place in there])
    there_km = _km(unique["lon"].to_numpy(), unique["lat"].to_numpy(),
                   np.array([p["latitude"] for p in there]),
                   np.array([p["longitude"] for p in there]))
    code = unique["country"].to_numpy()
    is_swapped = (here_country != code) & (there_country == code) & (there_km <= NEAR_KM)
    unique = unique.assign(swapped=is_swapped)
    merged = keys.merge(unique, on=["lat", "lon", "country"], how="left")
    result[candidates] = merged["swapped"].to_numpy()
    return result
