"""One package-level exception, with a subclass for a service that stays down."""


class GeocodingError(Exception):
    """Something the user can act on went wrong while geocoding."""


class ServiceUnavailable(GeocodingError):
    """The online geocoder kept failing (time-outs, 429, 5xx) after every retry."""
