"""The CSV file store: the dataset is one CSV file in the repository (the default).

The embedded default, for one person or one process: diffable (a save rewrites only its
own record, see :mod:`dashboard.data.editing`), its change log a JSON-lines file beside it
and its briefings TOML files in ``briefings/``. Nothing changes for a single user.
"""

from dashboard.data.stores.csvfile.store import CsvStore

__all__ = ["CsvStore"]
