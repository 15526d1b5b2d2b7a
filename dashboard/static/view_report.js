/* The analyst view: the map reports its own part of the view into the page's URL.
 *
 * After the user pans or zooms, `at=lat,lon,zoom` is written into the address (and
 * `frame=WIDTHxHEIGHT`, the map's size on screen, so a PNG shows the same extent); after the
 * layer menu changes, `layers=kind,...`. Streamlit keeps its own copy of the address's
 * parameters and re-reads the address on history navigation, so a `popstate` event tells it;
 * the page then runs again, reads both (st.query_params) and its exports use them, so a PNG or HTML export is the view on screen and a copied link
 * reopens it. Runs in a same-origin component frame; the map is streamlit-folium's
 * `window.map` inside the map's frame. Only the user's own moves are reported: the map's
 * first fit to the incidents is not, nor its fit to a new filter's incidents.
 */
(function () {
  var doc = window.parent.document;
  var win = window.parent;
  var NAMES = {
    "Precision halos": "halos", "Expulsion flows": "flows", "Incidents": "markers",
    "Clusters": "clusters", "Heat map": "heat",
  };
  function write(key, value, more) {  // more: other {key: value} pairs, written at once
    var params = new URLSearchParams(win.location.search);
    var pairs = Object.assign({}, more || {});
    pairs[key] = value;
    var changed = Object.keys(pairs).filter(function (k) { return params.get(k) !== pairs[k]; });
    if (!changed.length) { return; }
    changed.forEach(function (k) { params.set(k, pairs[k]); });
    win.history.replaceState(win.history.state, "", "?" + params.toString());
    win.dispatchEvent(new PopStateEvent("popstate", { state: win.history.state }));
  }
  function reportExtent(map) {
    var centre = map.getCenter();
    var lon = ((centre.lng + 540) % 360) - 180;  // a map panned round the world
    var size = map.getSize();
    // The map's size beside its centre and zoom: a PNG of the view shows this extent.
    var frame = size.x >= 50 && size.y >= 50 ? { frame: size.x + "x" + size.y } : {};
    write("at", centre.lat.toFixed(4) + "," + lon.toFixed(4) + "," + map.getZoom(), frame);
  }
  function reportLayers(inner) {
    var kinds = [];
    inner.querySelectorAll(".leaflet-control-layers-overlays label").forEach(function (label) {
      var input = label.querySelector("input");
      var kind = NAMES[label.textContent.trim()];
      if (input && input.checked && kind) { kinds.push(kind); }
    });
    write("layers", kinds.join(","));
  }
  function hook() {
    doc.querySelectorAll('iframe[title="streamlit_folium.st_folium"]').forEach(function (frame) {
      var view = frame.contentWindow;
      var map = view && view.map;
      if (!map || !map.getContainer || map.__incidentReport) { return; }
      map.__incidentReport = true;
      var container = map.getContainer();
      var touched = false;
      ["mousedown", "wheel", "touchstart", "keydown", "dblclick"].forEach(function (name) {
        container.addEventListener(name, function (event) {
          // The layer menu is not a move of the map.
          if (!event.target.closest || !event.target.closest(".leaflet-control-layers")) {
            touched = true;
          }
        }, { passive: true, capture: true });
      });
      // A filter change's fit to the new incidents (incident_scale.js sets incidentAutoFit
      // while it fits) is the map's move, not the user's, even after the user has moved it.
      map.on("moveend", function () {
        if (touched && !map.incidentAutoFit) { reportExtent(map); }
      });
      frame.contentDocument.addEventListener("change", function (event) {
        if (event.target.closest && event.target.closest(".leaflet-control-layers")) {
          reportLayers(frame.contentDocument);
        }
      });
    });
  }
  if (win.__incidentViewReport) { clearInterval(win.__incidentViewReport); }
  win.__incidentViewReport = setInterval(hook, 400);
  hook();
})();
