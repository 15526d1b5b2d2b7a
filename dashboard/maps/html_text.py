"""Small pieces of HTML shared by the map, the briefing card and the HTML export.

Everything that comes from a dataset is escaped here; links are made only for http(s) URLs
and open in a new tab without giving the new page a handle on ours.

>>> source_html("https://a.org/?b&c")
'<a href="https://a.org/?b&amp;c" target="_blank" rel="noopener noreferrer">a.org/?b&amp;c</a>'
>>> source_html("javascript:alert(1)")
'javascript:alert(1)'
"""

from __future__ import annotations

import html

from dashboard.data.schema import is_http_url, split_sources


def escape(value: object) -> str:
    """Any value as HTML text, quotes included (safe in attributes too)."""
    return html.escape(str(value), quote=True)


def source_html(item: str, *, max_label: int | None = None) -> str:
    """One source: a safe link for an http(s) URL (label without the scheme), else text."""
    if not is_http_url(item):
        return html.escape(item)
    label = item.split("://", 1)[1]
    if max_label is not None and len(label) > max_label:
        label = label[: max_label - 1] + "\u2026"
    return (f'<a href="{html.escape(item, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{html.escape(label)}</a>')


def sources_html(cell: str, *, max_label: int | None = None) -> list[str]:
    """Each item of a ``sources`` cell as HTML (see :func:`source_html`)."""
    return [source_html(item, max_label=max_label) for item in split_sources(cell)]
