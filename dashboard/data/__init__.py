"""Data: the dataset itself, as plain functions over pandas DataFrames.

Owns the columns, vocabularies and validation (``schema``), reading a valid file into typed
columns (``loading``), ISO country codes (``countries``), formula-safe CSV cells
(``spreadsheet``), the view's filters and their URL form (``filters``) and the conversion of
ACLED and GTD exports (``importers``). May import ``base`` only.
"""
