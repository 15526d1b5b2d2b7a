"""Geocoding: an offline GeoNames gazetteer and Nominatim behind one geopy interface.

* :mod:`dashboard.geocoding.gazetteer`: ``GeoNamesGazetteer``, offline, GeoNames data;
* :mod:`dashboard.geocoding.online`: geopy's Nominatim, rate-limited, with retries;
* :mod:`dashboard.geocoding.cache`: a persistent JSON cache of online answers;
* :mod:`dashboard.geocoding.pipeline`: ``resolve`` one place, ``geocode_file`` a dataset.
"""

from dashboard.geocoding.errors import GeocodingError, ServiceUnavailable

__all__ = ["GeocodingError", "ServiceUnavailable"]
