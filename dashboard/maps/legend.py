"""The map legend: a small collapsible Leaflet control explaining what the map shows.

Only entries present in the current data are listed: the event-type colours, the
attribution styles (fill and outline), the location-precision rings, the size of
expulsion symbols and the flow and link lines. Every text is HTML-escaped here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from folium.template import Template

from dashboard.maps.html_text import escape
from dashboard.maps.plugins import RawMacroElement, script_json


@dataclass
class LegendContent:
    """What the legend explains; ``mapping.build_map`` fills it from the data shown."""

    #: (event_type, label, colour) for each type shown
    types: list[tuple[str, str, str]] = field(default_factory=list)
    #: (attribution, label) for each attribution shown
    attributions: list[tuple[str, str]] = field(default_factory=list)
    #: (geo_precision, label, halo radius in km or 0) for each precision shown
    precisions: list[tuple[str, str, float]] = field(default_factory=list)
    #: (persons, radius in px) reference symbols; empty when no expulsion has a count
    sizes: list[tuple[int, float]] = field(default_factory=list)
    flows: bool = False
    links: bool = False
    heatmap: bool = False
    clustered: bool = False
    #: a focused incident is ringed
    focus: bool = False

    def is_empty(self) -> bool:
        return not (self.types or self.attributions or self.precisions or self.sizes)



def legend_html(content: LegendContent) -> str:
    """The legend's inner HTML (every text escaped)."""
    parts: list[str] = []
    if content.types:
        rows = "".join(
            f'<li class="il-type" data-type="{escape(key)}"><span class="il-swatch" '
            f'style="background:{escape(colour)}"></span>{escape(label)}</li>'
            for key, label, colour in content.types
        )
        columns = ' class="il-cols"' if len(content.types) > 3 else ""
        parts.append(f'<div class="il-section"><h5>Event type (colour)</h5><ul{columns}>{rows}'
                     "</ul></div>")
    if content.attributions:
        rows = "".join(
            f'<li class="il-attribution" data-attribution="{escape(key)}">'
            f'<span class="im-symbol il-symbol im-a-{escape(key)}"></span>{escape(label)}</li>'
            for key, label in content.attributions
        )
        parts.append(
            f'<div class="il-section"><h5>Attribution (style)</h5><ul>{rows}</ul></div>'
        )
    if content.precisions:
        rows = []
        for key, label, km in content.precisions:
            ring = ('<span class="il-ring"></span>' if km else "")
            extent = f" (ring \u2248 {escape(_km(km))})" if km else ""
            rows.append(
                f'<li class="il-precision" data-precision="{escape(key)}"><span class="il-point">'
                f'<span class="il-dot"></span>{ring}</span>{escape(label)}{extent}</li>'
            )
        parts.append(
            '<div class="il-section"><h5>Location precision</h5><ul class="il-cols">'
            + "".join(rows) + "</ul></div>"
        )
    if content.sizes:
        rows = "".join(
            f'<li class="il-size" data-persons="{int(persons)}"><span class="il-size-box">'
            f'<span class="il-circle" style="width:{2 * radius:.0f}px;height:{2 * radius:.0f}px">'
            f"</span></span>{int(persons)} {'person' if persons == 1 else 'people'}</li>"
            for persons, radius in content.sizes
        )
        parts.append(
            '<div class="il-section"><h5>Expulsions: circle area \u221d people expelled</h5>'
            f'<ul class="il-sizes">{rows}</ul></div>'
        )
    lines = []
    if content.flows:
        lines.append(_line_item("il-flow", '<span class="il-line il-line-flow"></span>',
                                "Expelling state \u2192 the state whose people were expelled "
                                "(wider line: more people)"))
        lines.append(_line_item("il-end", _boxed("il-end-dot"), "Line end: that state's capital"))
    if content.links:
        lines.append(_line_item("il-link", '<span class="il-line il-line-link"></span>',
                                "Linked incident (response to another)"))
    if content.focus:
        lines.append(_line_item("il-focus", _boxed("il-focus-ring"),
                                "Black ring: the incident in focus"))
    if content.types:
        lines.append('<li class="il-note">Several incidents at one spot: a click lists '
                     "them all</li>")
    if content.clustered:
        lines.append('<li class="il-note">Numbered circles group nearby incidents; '
                     "zoom in or click to split them</li>")
    if content.heatmap:
        lines.append('<li class="il-note">Heat map: density of incidents shown</li>')
    if lines:
        parts.append('<div class="il-section"><h5>Lines and layers</h5><ul>'
                     + "".join(lines) + "</ul></div>")
    return "".join(parts)


#: The legend's look, shared by the map's control and an export's legend panel; ``COLOUR``
#: and ``FILL`` are the expulsion circles' outline and fill.
LEGEND_CSS = """
.incident-legend { background: rgba(255,255,255,.95); border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0,0,0,.3); font: 12px/1.25 system-ui, sans-serif;
    color: #222; max-width: 400px; overflow-y: auto; }
.incident-legend ul.il-cols { columns: 2; column-gap: 10px; }
.incident-legend ul.il-cols li { break-inside: avoid; }
.incident-legend summary { cursor: pointer; padding: 5px 9px; font-weight: 600; }
.incident-legend .il-body { padding: 0 9px 5px; font-size: 11.5px; }
.incident-legend h5 { margin: 5px 0 2px; font-size: 11px; text-transform: uppercase;
    letter-spacing: .03em; color: #555; }
.incident-legend ul { list-style: none; margin: 0; padding: 0; }
.incident-legend li { display: flex; align-items: center; gap: 6px; margin: 1px 0; }
/* On the map, lines set close: the whole legend fits a laptop's map without scrolling. */
.incident-legend.leaflet-control li { margin: 0; }
.incident-legend .il-swatch { width: 12px; height: 12px; border-radius: 50%;
    flex: none; }
.incident-legend .il-symbol { width: 14px; height: 14px; flex: none;
    --im-c: #444; --im-f: rgba(68,68,68,.18); }
.incident-legend .il-point { position: relative; width: 22px; height: 20px;
    flex: none; display: inline-block; }
.incident-legend .il-dot { position: absolute; left: 8px; top: 7px; width: 6px;
    height: 6px; border-radius: 50%; background: #444; }
.incident-legend .il-ring { position: absolute; left: 1px; top: 0; width: 18px;
    height: 18px; border-radius: 50%; border: 1px solid #777;
    background: rgba(100,100,100,.1); }
.incident-legend ul.il-sizes { display: flex; flex-wrap: wrap;
    align-items: flex-end; gap: 2px 10px; }
.incident-legend ul.il-sizes li { flex-direction: column; gap: 1px; }
.incident-legend .il-size-box { display: inline-flex;
    justify-content: center; flex: none; }
.incident-legend .il-circle { border-radius: 50%;
    border: 1.5px solid COLOUR;
    background: FILL; display: inline-block; }
.incident-legend .il-line { width: 22px; height: 0; flex: none;
    border-top: 2px solid COLOUR; }
.incident-legend .il-line-link { border-top: 1.5px dashed #666; }
.incident-legend .il-end-box { width: 22px; display: inline-flex;
    justify-content: center; flex: none; }
.incident-legend .il-end-dot { width: 6px; height: 6px; border-radius: 50%;
    border: 1px solid #555; background: #fff; }
.incident-legend .il-focus-ring { width: 14px; height: 14px; border-radius: 50%;
    border: 2px solid #111; }
.incident-legend .il-note { display: block; color: #555; }
"""


def legend_css(size_colour: str) -> str:
    """The legend's style sheet with the expulsion circles in ``size_colour``."""
    colour = _css_colour(size_colour)
    return LEGEND_CSS.replace("COLOUR", colour).replace("FILL", colour + "33")


def _line_item(css_class: str, symbol: str, text: str) -> str:
    """A legend line: a symbol (trusted markup made here) and a fixed text."""
    return f'<li class="{css_class}">{symbol}{text}</li>'


def _boxed(css_class: str) -> str:
    return f'<span class="il-end-box"><span class="{css_class}"></span></span>'


def _km(km: float) -> str:
    return f"{km:g} km"


class Legend(RawMacroElement):
    """A collapsible legend control (``<details>``).

    It starts closed on maps narrower than ``collapse_below`` px (``start_open`` True or False
    decides instead) and never grows taller than ``max_height`` of the map (it scrolls
    instead); long lists use two columns.
    """

    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }};
                var Control = L.Control.extend({
                    options: { position: {{ this.position|tojson }} },
                    onAdd: function () {
                        var box = L.DomUtil.create("details", "incident-legend leaflet-control");
                        box.innerHTML = {{ this.summary }} +
                            '<div class="il-body">' + {{ this.body }} + "</div>";
                        function fit() {
                            var size = map.getSize();
                            var limit = size.y * {{ this.max_height }} - 20;
                            box.style.maxHeight = Math.max(80, limit) + "px";
                            return size;
                        }
                        var startOpen = {{ this.start_open|tojson }};  // null: by width
                        function decide(width) {
                            return startOpen === null ? width > {{ this.collapse_below }}
                                                      : startOpen;
                        }
                        var size = fit();
                        box.open = decide(size.x);
                        map.on("resize", fit);
                        if (size.x === 0) {  // not laid out yet: decide once it has a size
                            map.once("resize", function () {
                                box.open = decide(map.getSize().x);
                            });
                        }
                        L.DomEvent.disableClickPropagation(box);
                        L.DomEvent.disableScrollPropagation(box);
                        return box;
                    },
                });
                var {{ this.get_name() }} = new Control().addTo(map);
            })();
        {% endmacro %}
    """)

    def __init__(self, content: LegendContent, *, title: str = "Legend",
                 position: str = "bottomright", collapse_below: int = 1000,
                 max_height: float = 0.94,
                 size_colour: str = "#CC79A7", start_open: bool | None = None):
        super().__init__()
        self._name = "Legend"
        self.content = content
        self.html = legend_html(content)
        self.body = script_json(self.html)
        self.summary = script_json(f"<summary>{escape(title)}</summary>")
        self.position = position
        self.collapse_below = int(collapse_below)
        self.start_open = None if start_open is None else bool(start_open)
        self.max_height = float(max_height)
        self.css = legend_css(size_colour)


def _css_colour(value: str) -> str:
    value = str(value)
    if not (value.startswith("#") and len(value) in (4, 7)
            and all(c in "0123456789abcdefABCDEF" for c in value[1:])):
        raise ValueError(f"{value!r} is not a #rgb or #rrggbb colour")
    return value
