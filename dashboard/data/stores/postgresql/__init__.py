"""The PostgreSQL store: one database shared by every dashboard process, on any machine.

Tables (created on first use; ``schema.sql`` beside this file is the reference):

- ``incident_rows``: the dataset's columns as text, cells exactly as the CSV file holds them,
  plus ``row_position`` (the file's order), ``row_version`` (raised by every save: a save
  made against an older version is a conflict) and ``geom``, a PostGIS point generated
  from ``lat``/``lon`` (SRID 4326, NULL when a row has no coordinates);
- ``incident_changes``: the change log, its ``seq`` an identity column (numbers come from
  the database and never repeat);
- ``incident_briefings``: the authored briefings' TOML text, by name;
- ``incident_review``: the gazetteer's answers on ambiguous places, by dataset version;
- ``incident_store``: the dataset's columns in order and its ``generation``, raised by
  every save and load.

A save writes its row and its change-log entry in one transaction and announces the new
generation with ``NOTIFY incident_map_changes``; every process listens (and looks at the
generation every second besides), so the others see a saved change within about a second.
The name ``incidents`` is left to the query engines' typed table (``dashboard/data/engine``),
so both can live in one database.

Settings come from the URL and libpq's environment (``PGPASSWORD``, ``PGPASSFILE``,
``PGSSLMODE``, ...): ``postgresql://incident_map@db.example.org/incident_map``.
"""

from dashboard.data.stores.postgresql.store import PostgresStore

__all__ = ["PostgresStore"]
