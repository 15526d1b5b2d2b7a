"""Where the data lives and how it is asked: one query layer (Ibis) over many engines.

- :mod:`~dashboard.data.engine.sources`: a source named on the command line
  (``parquet:PATH``, ``postgresql://...``, ``spark:TABLE``, a CSV file) and its settings;
- :mod:`~dashboard.data.engine.table`: the engine table's columns (the dataset's own columns
  plus the derived ones the queries use), made from a prepared frame in chunks;
- :mod:`~dashboard.data.engine.convert`: a CSV file to Parquet once, keyed by its content
  hash, and Parquet into PostgreSQL or Spark (``incident-map import --to``);
- :mod:`~dashboard.data.engine.connect`: an Ibis connection and table for a source;
- :mod:`~dashboard.data.engine.grid`: clusters as cells of a quantised Web Mercator grid;
- :mod:`~dashboard.data.engine.query`: filters, counts, timelines, map cells, table pages and
  exports as Ibis expressions, run by whichever engine holds the table.
"""
