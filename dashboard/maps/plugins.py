"""Custom Leaflet elements for the incident map, written as folium plugins.

Every element renders its JavaScript in its ``script`` macro and its CSS in its ``header``
macro: streamlit-folium rebuilds the map from exactly those (it executes the script of each
element and copies ``<style>`` from the header), and a plain ``Map.get_root().render()``
includes them too, so the same map works in the page and in an exported HTML file.

- :class:`IncidentData` carries the incidents as one compact column-wise JSON object plus
  the drawing code (``static/incident_map.js``) and the marker styles.
- :class:`IncidentLayer` is one toggleable layer (markers, clusters, halos, flows, heat),
  built in the browser from that data only when it is first shown.
- :class:`IncidentView` fits the view (or focuses one incident) once every layer and control
  is added.
- :class:`YearPlayControl` plays the incidents year by year, entirely in the browser.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.template import Template

from dashboard.maps.assets import asset_url

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
RUNTIME_FILE = STATIC_DIR / "incident_map.js"
#: Browser code placed with the drawing code, in this order: reaching stacked incidents
#: and keyboard use (spread.js), the offline basemap's detail layers (basemap.js).
RUNTIME_EXTRAS = (STATIC_DIR / "spread.js",)

LAYER_KINDS = ("markers", "clusters", "halos", "flows", "heat")

_PLUGIN_FILES = {
    "clusters": (
        [("markerclusterjs", "leaflet.markercluster/leaflet.markercluster.js")],
        [("markerclustercss", "leaflet.markercluster/MarkerCluster.css"),
         ("markerclusterdefaultcss", "leaflet.markercluster/MarkerCluster.Default.css")],
    ),
    "heat": ([("leaflet-heat.js", "leaflet.heat/leaflet-heat.js")], []),
}


@lru_cache(maxsize=1)
def runtime_js() -> str:
    """The browser-side drawing code, read once."""
    return "\n".join(path.read_text(encoding="utf-8")
                     for path in (*RUNTIME_EXTRAS, RUNTIME_FILE))


def script_json(value) -> str:
    """JSON that is safe inside an HTML ``<script>`` element and inert for Jinja.

    ``<``, ``>`` and ``&`` become ``\\u`` escapes (no ``</script>``, no entity tricks); a ``{``
    followed by ``{``, ``%`` or ``#`` (only possible inside a string) is escaped as well, so
    text such as ``{{ 7*7 }}`` can never act as a template tag.
    """
    text = (json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return re.sub(r"\{(?=[{%#])", r"\\u007b", text)


class RawElement(Element):
    """Text placed in the page exactly as given.

    branca's ``MacroElement.render`` wraps each rendered macro in ``Element(text)``, which
    compiles that text as a Jinja template again: slow for large data (the lexer reads every
    byte) and it would evaluate ``{{ ... }}`` found in data. This element skips that step.
    """

    def __init__(self, text: str):
        super().__init__()
        self._name = "RawElement"
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


class RawMacroElement(MacroElement):
    """A MacroElement whose rendered macros are placed as they are (see RawElement)."""

    def render(self, **kwargs):
        figure = self.get_root()
        module = self._template.module
        for part, target in (("header", figure.header), ("html", figure.html),
                             ("script", figure.script)):
            macro = module.__dict__.get(part)
            if macro is not None:
                target.add_child(RawElement(macro(self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)


class IncidentData(RawMacroElement):
    """The incidents (compact JSON), the drawing code and the marker styles."""

    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            {{ this.runtime }}
            var {{ this.get_name() }} = window.IncidentMap.create(
                {{ this._parent.get_name() }}, {{ this.data }}, {{ this.options }});
        {% endmacro %}
    """)

    def __init__(self, data: dict, options: dict, css: str):
        super().__init__()
        self._name = "IncidentData"
        self.data = script_json(data)
        self.options = script_json(options)
        self.css = css.replace("</", "<\\/")
        self.runtime = runtime_js()


class IncidentRuntime(RawMacroElement):
    """The drawing code and every style the incidents need, in the map itself.

    The incidents come separately (:class:`IncidentUpdate`), so the page's map stays the same
    page whatever the filters, and only the incidents are replaced."""

    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            {{ this.runtime }}
        {% endmacro %}
    """)

    def __init__(self, css: str):
        super().__init__()
        self._name = "IncidentRuntime"
        self.css = css.replace("</", "<\\/")
        self.runtime = runtime_js()


class PluginFiles(JSCSSMixin, MacroElement):
    """The plugin files (clusters, heat map) a page carries itself (an exported page, which
    cannot fetch them when a layer is first shown)."""

    _template = Template("")

    def __init__(self, kinds):
        super().__init__()
        self._name = "PluginFiles"
        self.default_js, self.default_css = [], []
        for kind in kinds:
            js, css = _PLUGIN_FILES.get(kind, ([], []))
            self.default_js += [(link, asset_url(dest)) for link, dest in js]
            self.default_css += [(link, asset_url(dest)) for link, dest in css]


class IncidentUpdate(RawMacroElement):
    """The incidents and everything drawn from them: layers, layer menu, legend, year player,
    focus and the view's frame.

    In a document it follows the map's own script. On the page it is handed to
    streamlit-folium as ``feature_group_to_add``: streamlit-folium runs it again in the map
    already on screen when it changes, so a filter change, a table choice or a briefing's next
    step replaces the incidents without reloading the map (no blank frame; the basemap, the
    camera until the new frame flies it, and an open popup stay). The variable it declares
    is the empty feature group streamlit-folium adds and removes."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup();
            window.IncidentMap.create({{ this.map.get_name() }}, {{ this.data }},
                {{ this.options }});
            {{ this.map.get_name() }}.incidentMap.addLayers({{ this.layers }});
            {{ this.extras }}
            {{ this.map.get_name() }}.incidentMap.finish();
        {% endmacro %}
    """)

    def __init__(self, fmap, data: dict, options: dict, layers: list[dict],
                 extras: list[MacroElement] = ()):
        super().__init__()
        # streamlit-folium names the group it adds "feature_group_<id>"
        self._name = "FeatureGroup"
        self.map = fmap
        self.data = script_json(data)
        self.options = script_json(options)
        self.layers = script_json(layers)
        self.parts = list(extras)

    @property
    def extras(self) -> str:
        """The scripts of the legend and the player, naming the map as it is named when
        this is rendered (streamlit-folium renames it)."""
        parts = []
        for number, element in enumerate(self.parts):
            element._parent = self.map  # their scripts name the map as their parent
            # A name of their own that is the same on every run (not folium's random one):
            # streamlit-folium replaces the incidents only when their script changes, so
            # a rerun with the same incidents leaves the map, an open layer menu and popup be.
            element._id = f"part{number}"
            parts.append(str(element._template.module.script(element, {})))
        return "\n".join(parts)


class IncidentLayer(JSCSSMixin, Layer):
    """One toggleable layer of the incident map (see LAYER_KINDS), built on first show."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this._parent.get_name() }}.incidentMap.layer(
                {{ this.kind|tojson }}, {{ this.plugin }});
        {% endmacro %}
    """)

    def __init__(self, kind: str, name: str, *, show: bool = True, lazy: bool = False,
                 always_lazy: bool = False):
        """``lazy``: a layer that starts hidden loads its plugin's files only when first
        shown, so the map does not wait for them (not for pages opened from disk, which
        must carry every file); ``always_lazy``: even a layer shown from the start (the
        page's map, whose own page stays the same whatever the incidents)."""
        if kind not in LAYER_KINDS:
            raise ValueError(f"unknown incident layer kind {kind!r}; use one of {LAYER_KINDS}")
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "IncidentLayer"
        self.kind = kind
        js, css = _PLUGIN_FILES.get(kind, ([], []))
        # per instance, so the same-origin/CDN choice is made when the map is built
        js = [(link, asset_url(dest)) for link, dest in js]
        css = [(link, asset_url(dest)) for link, dest in css]
        if (always_lazy or (lazy and not show)) and (js or css):
            self.default_js, self.default_css = [], []
            self.plugin_files = {"js": [url for _, url in js], "css": [url for _, url in css]}
        else:
            self.default_js, self.default_css = js, css
            self.plugin_files = None
        self.plugin = script_json(self.plugin_files)


class IncidentView(MacroElement):
    """Fit the view to the incidents, or focus one; add after every layer and control."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.incidentMap.finish();
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "IncidentView"


class YearPlayControl(MacroElement):
    """Play/Pause, a year slider and a mode switch: incidents up to the chosen year
    (cumulative) or of that year only (a moving window of one year).

    The default state shows every year. Playing steps from the first year to the last,
    one year every ``interval_ms``, and ends showing every year again. The label names the
    year and how many incidents the map then shows, so the count follows the player.
    """

    _template = Template("""
        {% macro header(this, kwargs) %}
            <style>
                .incident-play { background: #fff; padding: 6px 8px; border-radius: 4px;
                    box-shadow: 0 1px 4px rgba(0,0,0,.3); display: flex; align-items: center;
                    gap: 6px; font: 13px/1.3 system-ui, sans-serif; }
                .incident-play button { width: 30px; height: 28px; border: 1px solid #999;
                    border-radius: 4px; background: #f6f6f6; cursor: pointer; font-size: 14px;
                    line-height: 1; padding: 0; }
                .incident-play button:focus-visible, .incident-play input:focus-visible {
                    outline: 2px solid #0072B2; outline-offset: 1px; }
                .incident-play input[type=range] { width: 150px; }
                .incident-play button.incident-play-mode { width: auto; padding: 0 6px;
                    font-size: 12px; }
                .incident-play .incident-play-label { min-width: 13em;
                    font-variant-numeric: tabular-nums; }
                @media (max-width: 520px) { .incident-play input[type=range] { width: 90px; } }
            </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }};
                var first = {{ this.first_year }}, last = {{ this.last_year }};
                var Control = L.Control.extend({
                    options: { position: {{ this.position|tojson }} },
                    onAdd: function () {
                        var box = L.DomUtil.create("div", "incident-play leaflet-control");
                        var button = L.DomUtil.create("button", "incident-play-button", box);
                        button.type = "button";
                        var slider = L.DomUtil.create("input", "incident-play-slider", box);
                        slider.type = "range"; slider.min = first; slider.max = last;
                        slider.step = 1; slider.value = last;
                        slider.setAttribute("aria-label", "Show incidents up to year");
                        var mode = L.DomUtil.create("button", "incident-play-mode", box);
                        mode.type = "button";
                        var label = L.DomUtil.create("span", "incident-play-label", box);
                        label.setAttribute("aria-live", "polite");
                        L.DomEvent.disableClickPropagation(box);
                        L.DomEvent.disableScrollPropagation(box);
                        var timer = null, year = null, windowed = false;
                        function show(value) {
                            year = value;
                            var count = map.incidentMap.setYear(value, windowed);
                            slider.value = value === null ? last : value;
                            var words = value === null
                                ? "All years (" + first + "\u2013" + last + ")"
                                : (windowed ? "In " : "Up to ") + value;
                            if (typeof count === "number") {
                                words += " \u00b7 " + count.toLocaleString("en") +
                                         (count === 1 ? " incident" : " incidents");
                            }
                            label.textContent = words;
                            box.setAttribute("data-year", value === null ? "all" : String(value));
                            box.setAttribute("data-mode", windowed ? "window" : "cumulative");
                            box.setAttribute("data-count", String(count));
                        }
                        function paintMode() {
                            mode.textContent = windowed ? "1 year" : "Cumulative";
                            mode.title = windowed
                                ? "One year at a time; switch to every year up to it"
                                : "Every year up to the chosen one; switch to one at a time";
                            mode.setAttribute("aria-pressed", windowed ? "true" : "false");
                        }
                        L.DomEvent.on(mode, "click", function () {
                            windowed = !windowed;
                            paintMode();
                            show(year);
                        });
                        function paint() {
                            button.textContent = timer ? "\u275A\u275A" : "\u25B6";
                            button.setAttribute("aria-label", timer ? "Pause" : "Play years");
                            button.title = timer ? "Pause" : "Play the incidents year by year";
                        }
                        function stop() {
                            if (timer) { clearInterval(timer); timer = null; }
                            paint();
                        }
                        function step() {
                            if (year === null || year >= last) { stop(); show(null); return; }
                            show(year + 1);
                        }
                        L.DomEvent.on(button, "click", function () {
                            if (timer) { stop(); return; }
                            var fresh = year === null || year >= last;
                            show(fresh ? first : year);
                            // from the start: the map shows the incidents it animates
                            if (fresh) { map.incidentMap.fitPlay(); }
                            timer = setInterval(step, {{ this.interval_ms }});
                            paint();
                        });
                        L.DomEvent.on(slider, "input", function () {
                            stop();
                            var value = parseInt(slider.value, 10);
                            show(value >= last ? null : value);
                        });
                        paintMode();
                        show(null);
                        paint();
                        return box;
                    },
                });
                var {{ this.get_name() }} = new Control().addTo(map);
            })();
        {% endmacro %}
    """)

    def __init__(self, first_year: int, last_year: int, *, interval_ms: int = 900,
                 position: str = "bottomleft"):
        super().__init__()
        self._name = "YearPlayControl"
        self.first_year = int(first_year)
        self.last_year = int(last_year)
        self.interval_ms = int(interval_ms)
        self.position = position
