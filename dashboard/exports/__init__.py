"""Exports: the view on screen as CSV, GeoJSON, a self-contained HTML page or a PNG.

Owns the shared types and captions (``view``: ``View``, ``Provenance``, ``PngSize``), the
formats and the one entry point ``export_bytes`` (``formats``), the HTML/PNG page
(``snapshot``) and headless Chromium (``browser``). May import ``base``, ``data`` and ``maps``.
"""
