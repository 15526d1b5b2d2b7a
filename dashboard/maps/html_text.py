"""Small pieces of HTML shared by the map, the briefing card and the HTML export.

Everything that comes from a dataset is escaped here; links are made only for http(s) URLs
and open in a new tab without giving the new page a handle on ours.

Sources are shown as people read them (:mod:`dashboard.data.sources`): a link by its site
and page, a seed document by its title (its file name in the tooltip).

>>> link = source_html("https://en.wikipedia.org/wiki/Leon_Trotsky?b&c")
>>> link.split(">", 1)[1]
'Wikipedia: Leon Trotsky</a>'
>>> 'href="https://en.wikipedia.org/wiki/Leon_Trotsky?b&amp;c"' in link
True
>>> source_html("javascript:alert(1)")
'javascript:alert(1)'
"""

from __future__ import annotations

import html

from dashboard.data.schema import split_sources
from dashboard.data.sources import readable


def escape(value: object) -> str:
    """Any value as HTML text, quotes included (safe in attributes too)."""
    return html.escape(str(value), quote=True)


def source_html(item: str, *, max_label: int | None = None) -> str:
    """One source: a safe link for an http(s) URL (labelled by site and page), a seed by its
    title, else the text itself."""
    source = readable(item)
    label = source.label
    if max_label is not None and len(label) > max_label:
        label = label[: max_label - 1] + "\u2026"
    if source.url is None:
        if source.seed:
            return (f'<span class="im-seed" title="{html.escape(source.text, quote=True)}">'
                    f"{html.escape(label)}</span>")
        return html.escape(source.text if max_label is None else label)
    address = html.escape(source.url, quote=True)
    return (f'<a href="{address}" title="{address}" target="_blank" '
            f'rel="noopener noreferrer">{html.escape(label)}</a>')


def sources_html(cell: str, *, max_label: int | None = None) -> list[str]:
    """Each item of a ``sources`` cell as HTML (see :func:`source_html`)."""
    return [source_html(item, max_label=max_label) for item in split_sources(cell)]
