/* Incident Map: the offline basemap's detail (dashboard/maps/basemap.py says what and why).
 *
 * Countries at a finer scale replace the 1:110m outline as the zoom grows, and GeoNames
 * place names are laid out by population without overlapping. Files are fetched from the
 * dashboard only when a zoom needs them; if a fetch fails (a page opened from disk) the
 * 1:110m outline stays and nothing else changes.
 */
(function () {
  "use strict";
  if (window.IncidentBasemap) { return; }

  var json = {}, scripts = {};
  function getJSON(url) {
    if (!json[url]) {
      json[url] = fetch(url).then(function (response) {
        if (!response.ok) { throw new Error(url + ": " + response.status); }
        return response.json();
      });
      json[url].catch(function () { delete json[url]; });
    }
    return json[url];
  }
  function loadScript(url) { return loadScriptOnce(url, "topojson"); }
  function loadScriptOnce(url, global) {
    if (window[global]) { return Promise.resolve(); }
    if (!scripts[url]) {
      scripts[url] = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = url;
        script.onload = resolve;
        script.onerror = function () { delete scripts[url]; reject(new Error(url)); };
        document.head.appendChild(script);
      });
    }
    return scripts[url];
  }

  var STYLE = [
    ".leaflet-container.basemap-detail .world-outline{display:none;}",
    ".bm-place{position:absolute;white-space:nowrap;pointer-events:none;margin-top:-7px;",
    "font:600 13px/1 system-ui,sans-serif;color:#2b2b2b;",
    "text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff;}",
    ".bm-place::before{content:'';position:absolute;left:-3px;top:50%;width:5px;height:5px;",
    "margin-top:-2.5px;border-radius:50%;background:#555;box-shadow:0 0 0 1px #fff;}",
    ".bm-place span{position:relative;left:6px;}",
    ".bm-place.bm-left span{position:absolute;left:auto;right:6px;top:0;}",
    ".bm-place.bm-above span,.bm-place.bm-below span{position:absolute;left:0;",
    "transform:translateX(-50%);}",
    ".bm-place.bm-above span{bottom:8px;top:auto;}",
    ".bm-place.bm-below span{top:10px;}",
    ".bm-place.bm-big{margin-top:-8px;}",
    ".leaflet-container.basemap-tiles .bm-place{display:none;}",
    ".bm-place.bm-big{font-size:15px;font-weight:700;color:#111;}",
    ".bm-place.bm-capital::before{width:7px;height:7px;margin-top:-3.5px;left:-4px;",
    "background:#fff;border:2px solid #333;box-sizing:border-box;box-shadow:none;}",
  ].join("");
  (function addStyle() {
    var style = document.createElement("style");
    style.textContent = STYLE;
    document.head.appendChild(style);
  })();

  /* Smallest population shown at a zoom: few names far out, every town close in. */
  function minPopulation(zoom) {
    if (zoom <= 3) { return 8e6; }
    if (zoom <= 4) { return 2e6; }
    if (zoom <= 5) { return 7e5; }
    if (zoom <= 6) { return 2.5e5; }
    if (zoom <= 7) { return 1e5; }
    if (zoom <= 8) { return 5e4; }
    if (zoom <= 9) { return 3e4; }
    return 0;
  }
  var MAX_LABELS = 160;

  function Basemap(map, options) {
    this.map = map;
    this.options = options;
    this.current = null;     // the country level shown, or null (the 1:110m outline)
    this.layers = {};        // url -> L.GeoJSON
    this.places = null;
    this.renderer = L.canvas({ pane: options.outlinePane, padding: 0.3 });
    var pane = map.getPane(options.labelPane) || map.createPane(options.labelPane);
    pane.style.zIndex = options.labelZIndex;
    pane.style.pointerEvents = "none";
    pane.setAttribute("aria-hidden", "true");
    this.pane = pane;
    var self = this;
    this.borderCodes = {};   // country code -> true once its admin-1 borders are asked for
    this.borderCount = 0;
    if (options.admin1) {
      var borderPane = map.getPane(options.adminPane) || map.createPane(options.adminPane);
      borderPane.style.zIndex = options.adminZIndex;
      borderPane.style.pointerEvents = "none";
      this.borders = L.layerGroup();
      this.borderRenderer = L.canvas({ pane: options.adminPane, padding: 0.3 });
    }
    map.on("zoomend", function () { self.updateCountries(); });
    map.on("zoomstart", function () { pane.style.visibility = "hidden"; });
    map.on("moveend", function () {
      self.calloutMoves = 0;
      self.updateBorders(); self.drawPlaces(); pane.style.visibility = "";
    });
    if (options.online) {
      // Online the tiles carry their own names: show ours only once a tile fails to load.
      var container = map.getContainer();
      container.classList.add("basemap-tiles");
      map.eachLayer(function (layer) {
        if (layer instanceof L.TileLayer) {
          layer.on("tileerror", function () { container.classList.remove("basemap-tiles"); });
        }
      });
    }
    if (options.archive) { this.addArchive(); }
    var start = function () { self.updateCountries(); self.updateBorders(); self.loadPlaces(); };
    if (map._loaded) { start(); } else { map.whenReady(start); }
  }

  /* First-level administrative borders (states, provinces) from the admin-1 zoom on: the
   * index of countries is fetched once, then each country in view once. */
  Basemap.prototype.updateBorders = function () {
    var self = this, map = this.map, o = this.options;
    if (!this.borders) { return; }
    if (map.getZoom() < o.adminZoom) {
      if (map.hasLayer(this.borders)) { map.removeLayer(this.borders); }
      map.getContainer().setAttribute("data-admin1", "0");
      return;
    }
    if (!map.hasLayer(this.borders)) { this.borders.addTo(map); }
    map.getContainer().setAttribute("data-admin1", String(this.borderCount));
    var b = map.getBounds().pad(0.2);
    var west = b.getWest(), south = b.getSouth(), east = b.getEast(), north = b.getNorth();
    this.getJSON(o.admin1 + "index.json").then(function (index) {
      Object.keys(index).forEach(function (code) {
        var box = index[code];
        if (self.borderCodes[code] || box[0] > east || box[2] < west || box[1] > north ||
            box[3] < south) { return; }
        self.borderCodes[code] = true;
        self.getJSON(o.admin1 + code + ".json").then(function (geometry) {
          self.addBorders(geometry);
        }).catch(function () { delete self.borderCodes[code]; });
      });
    }).catch(function () {});
  };

  Basemap.prototype.addBorders = function (geometry) {
    var o = this.options;
    L.geoJSON(geometry, {
      renderer: this.borderRenderer, interactive: false,
      style: function () {
        return { color: o.adminColour, weight: 1, opacity: 1, dashArray: "5 3" };
      },
    }).addTo(this.borders);
    this.borderCount++;
    if (this.map.getZoom() >= o.adminZoom) {
      this.map.getContainer().setAttribute("data-admin1", String(this.borderCount));
    }
  };

  /* The organisation's street-level archive (dashboard/maps/tile_archive.py), drawn under the
   * incidents: PMTiles read by range requests, or MBTiles tiles served one by one; raster
   * tiles as images, vector tiles by protomaps-leaflet (its "light" flavour, left
   * transparent where the archive has no data so the offline countries still show). */
  Basemap.prototype.addArchive = function () {
    var map = this.map, o = this.options, archive = o.archive;
    var container = map.getContainer();
    function drawn(kind, layer) {
      layer.addTo(map);
      container.classList.add("basemap-streets");
      container.setAttribute("data-archive", kind);
    }
    function vectorLayer(url, maxZoom) {
      return loadScriptOnce(o.protomaps, "protomapsL").then(function () {
        var layer = window.protomapsL.leafletLayer({
          url: url, flavor: "light", lang: "en", maxDataZoom: maxZoom || 15,
          attribution: "Local tile archive",
        });
        delete layer.backgroundColor;
        drawn("vector", layer);
      });
    }
    var done;
    if (archive.container === "mbtiles") {
      done = archive.vector ? vectorLayer(archive.url, archive.maxZoom) : Promise.resolve(
        drawn("raster", L.tileLayer(archive.url, {
          maxNativeZoom: archive.maxZoom || 18, minZoom: 0, maxZoom: 20,
          attribution: "Local tile archive",
        })));
    } else {
      done = loadScriptOnce(o.pmtiles, "pmtiles").then(function () {
        var source = new window.pmtiles.PMTiles(archive.url);
        return source.getHeader().then(function (header) {
          if (header.tileType === 1) { return vectorLayer(archive.url, header.maxZoom); }
          drawn("raster", window.pmtiles.leafletRasterLayer(source, {
            maxNativeZoom: header.maxZoom, minZoom: 0, maxZoom: 20,
            attribution: "Local tile archive",
          }));
        });
      });
    }
    done.catch(function (error) {
      container.setAttribute("data-archive", "failed");
      if (window.console) { window.console.error(error); }
    });
  };

  /* A page that cannot fetch (an export opened from disk) carries its files by URL. */
  Basemap.prototype.getJSON = function (url) {
    var inline = this.options.inlineFiles;
    if (inline && Object.prototype.hasOwnProperty.call(inline, url)) {
      return Promise.resolve(inline[url]);
    }
    return getJSON(url);
  };

  Basemap.prototype.level = function (zoom) {
    var want = null;
    this.options.levels.forEach(function (level) { if (zoom >= level[0]) { want = level[1]; } });
    return want;
  };

  Basemap.prototype.updateCountries = function () {
    var self = this, map = this.map, o = this.options;
    var want = this.level(map.getZoom());
    if (want === this.current) { return; }
    this.current = want;
    if (!want) { this.show(null); return; }
    loadScript(o.topojson).then(function () { return self.getJSON(want); }).then(function (topo) {
      if (self.current !== want) { return; }
      if (!self.layers[want]) {
        var object = topo.objects.countries || topo.objects[Object.keys(topo.objects)[0]];
        self.layers[want] = L.geoJSON(window.topojson.feature(topo, object), {
          renderer: self.renderer, interactive: false,
          style: function () {
            return { color: o.border, weight: 0.8, opacity: 1, fillColor: o.land,
                     fillOpacity: 1 };
          },
        });
      }
      self.show(self.layers[want]);
    }).catch(function () { self.current = null; });
  };

  Basemap.prototype.show = function (layer) {
    var map = this.map;
    for (var url in this.layers) {
      if (this.layers[url] !== layer && map.hasLayer(this.layers[url])) {
        map.removeLayer(this.layers[url]);
      }
    }
    if (layer && !map.hasLayer(layer)) { layer.addTo(map); }
    map.getContainer().classList.toggle("basemap-detail", !!layer);
    map.getContainer().setAttribute("data-basemap", layer ? this.current : "outline");
  };

  Basemap.prototype.loadPlaces = function () {
    var self = this;
    this.getJSON(this.options.places).then(function (rows) {
      self.places = rows;
      self.drawPlaces();
    }).catch(function () { self.places = null; });
  };

  function boxOf(element, origin, insetShare) {
    var r = element.getBoundingClientRect();
    if (!r.width) { return null; }
    var inset = r.width * insetShare;  // a symbol's round edge leaves its box's corners free
    return [r.left - origin.left + inset, r.top - origin.top + inset,
            r.right - origin.left - inset, r.bottom - origin.top - inset];
  }

  /* What the names keep clear of: the incident symbols on screen (a name under a symbol
   * reads as neither), and, never to be covered, the map's controls (legend, player,
   * buttons) and the callout naming a briefing's incident. */
  function obstacles(map) {
    var container = map.getContainer(), origin = container.getBoundingClientRect();
    var out = { symbols: [], hard: [], centres: [] };
    var symbols = container.querySelectorAll(".incident-marker");
    for (var i = 0; i < symbols.length; i++) {
      var box = boxOf(symbols[i], origin, 0.15);
      if (!box) { continue; }
      out.symbols.push(box);
      out.centres.push([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]);
    }
    // The ring around a briefing's incident is wider than its symbol: a name beside the
    // incident starts past the ring, not under it.
    // (From the ring's own centre and radius: its drawing may not have followed the move
    // yet when the names are laid out.)
    map.eachLayer(function (layer) {
      if (!(layer instanceof L.CircleMarker) || layer.options.className !== "incident-focus") {
        return;
      }
      var centre = map.latLngToContainerPoint(layer.getLatLng());
      var radius = layer.getRadius() + (layer.options.weight || 0) / 2;
      var ring = [centre.x - radius, centre.y - radius, centre.x + radius, centre.y + radius];
      ring.ring = true;
      out.symbols.push(ring);
    });
    var hard = container.querySelectorAll(".leaflet-control, .incident-focus-label");
    for (var k = 0; k < hard.length; k++) {
      var h = boxOf(hard[k], origin, 0);
      if (h) { out.hard.push(h); }
    }
    return out;
  }

  /* The names' size as drawn (a presenting map draws them larger, see mapping.py's CSS),
   * relative to the 13 px the layout's estimates start from. */
  function labelScale(pane) {
    var probe = L.DomUtil.create("div", "bm-place", pane);
    probe.style.visibility = "hidden";
    var size = parseFloat(window.getComputedStyle(probe).fontSize) || 13;
    pane.removeChild(probe);
    return size / 13;
  }

  function clashes(box, boxes) {
    for (var k = 0; k < boxes.length; k++) {
      var b = boxes[k];
      if (!(box[2] + 4 < b[0] || box[0] > b[2] + 4 || box[3] + 2 < b[1] || box[1] > b[3] + 2)) {
        return true;
      }
    }
    return false;
  }

  function overlap(box, boxes) {
    var total = 0;
    for (var k = 0; k < boxes.length; k++) {
      var b = boxes[k];
      var w = Math.min(box[2], b[2]) - Math.max(box[0], b[0]);
      var h = Math.min(box[3], b[3]) - Math.max(box[1], b[1]);
      if (w > 0 && h > 0) { total += w * h; }
    }
    return total;
  }

  /* A place this close (px) to an incident symbol is that incident's place. */
  var NEAR_PX = 45;
  /* A place whose dot is this close (px) to the ring around a briefing's incident. */
  var RING_NEAR_PX = 12;

  /* Greedy layout, most important first: the places of the incidents shown (the more
   * incidents, the sooner), then capitals and the most populous. Each name goes to the
   * right of its dot, else left, above or below; never over another name, a control or a
   * briefing's callout; a name with no incident also keeps off the symbols, while an
   * incident's own place may touch them (its name matters more than a symbol's edge).
   * Boxes are estimated from the text length at the size the names are drawn. */
  Basemap.prototype.drawPlaces = function () {
    var rows = this.places, map = this.map, pane = this.pane;
    if (!rows) { return; }
    while (pane.firstChild) { pane.removeChild(pane.firstChild); }
    var zoom = map.getZoom(), min = minPopulation(zoom), size = map.getSize();
    var scale = labelScale(pane);
    var bounds = map.getBounds().pad(0.05), boxes = [], count = 0;
    var found = obstacles(map), blocked = false;
    // Candidates: names the zoom shows, and smaller places that may be an incident's.
    var candidates = [], pool = [];
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i], capital = row[4] === 1;
      var shown = row[3] >= min || (capital && zoom >= 4);
      if (!shown && row[3] < min / 20) { continue; }
      var latlng = L.latLng(row[1], row[2]);
      if (!bounds.contains(latlng)) { continue; }
      var item = { row: row, order: i, latlng: latlng, point: map.latLngToContainerPoint(latlng),
                   incidents: 0, shown: shown };
      pool.push(item);
    }
    found.centres.forEach(function (centre) {
      var best = null, bestDistance = NEAR_PX;
      pool.forEach(function (item) {
        var dx = item.point.x - centre[0], dy = item.point.y - centre[1];
        var distance = Math.sqrt(dx * dx + dy * dy);
        // the larger place wins a near tie (Berlin before one of its districts)
        var weighted = distance - Math.log10(Math.max(item.row[3], 10)) * 2;
        if (distance < NEAR_PX && (best === null || weighted < bestDistance)) {
          best = item; bestDistance = weighted;
        }
      });
      if (best) { best.incidents++; }
    });
    pool.forEach(function (item) { if (item.shown || item.incidents) { candidates.push(item); } });
    candidates.sort(function (a, b) { return (b.incidents - a.incidents) || (a.order - b.order); });
    for (var c = 0; c < candidates.length && count < MAX_LABELS; c++) {
      var cand = candidates[c], point = cand.point, capitalRow = cand.row[4] === 1;
      var big = capitalRow || cand.row[3] >= 1e6;
      var font = (big ? 15 : 13) * scale;
      var width = cand.row[0].length * font * 0.6 + 10, height = font + 6;
      var top = point.y - height / 2, bottom = point.y + height / 2;
      // A symbol on the place itself (an incident in that city): the name goes beside it.
      var gapRight = 0, gapLeft = 0, others = [];
      for (var k = 0; k < found.symbols.length; k++) {
        // (a place beside a briefing's ring, its dot just outside it, is named past the ring)
        var b = found.symbols[k], m = b.ring ? RING_NEAR_PX : 0;
        if (b[0] - m <= point.x && point.x <= b[2] + m && b[1] - m <= point.y &&
            point.y <= b[3] + m) {
          gapRight = Math.max(gapRight, b[2] - point.x);
          gapLeft = Math.max(gapLeft, point.x - b[0]);
        } else { others.push(b); }
      }
      var spots = [
        { box: [point.x - 5, top, point.x + gapRight + width, bottom], side: "", shift: gapRight },
        { box: [point.x - gapLeft - width, top, point.x + 5, bottom], side: " bm-left",
          shift: gapLeft },
        { box: [point.x - width / 2, point.y - height - 6, point.x + width / 2, point.y - 4],
          side: " bm-above", shift: 0 },
        { box: [point.x - width / 2, point.y + 4, point.x + width / 2, point.y + height + 6],
          side: " bm-below", shift: 0 },
      ];
      var dot = [point.x - 3, point.y - 3, point.x + 3, point.y + 3];
      if (clashes(dot, boxes)) { continue; }
      if (clashes(dot, found.hard)) {
        if (cand.incidents) { blocked = true; }  // an incident's place under the callout
        continue;
      }
      var chosen = null, fallback = null, least = Infinity;
      for (var s2 = 0; s2 < spots.length; s2++) {
        var spot = spots[s2].box;
        var inside = spot[0] >= 0 && spot[2] <= size.x && spot[1] >= 0 && spot[3] <= size.y;
        if (!inside || clashes(spot, boxes) || clashes(spot, found.hard)) { continue; }
        if (!clashes(spot, others)) { chosen = spots[s2]; break; }
        var covered = overlap(spot, others);
        if (cand.incidents && covered < least) { fallback = spots[s2]; least = covered; }
      }
      chosen = chosen || fallback;
      if (!chosen) {
        if (cand.incidents) { blocked = true; }
        continue;
      }
      boxes.push(chosen.box);
      count++;
      var label = L.DomUtil.create("div", "bm-place" + (big ? " bm-big" : "") +
                                   (capitalRow ? " bm-capital" : "") +
                                   (cand.incidents ? " bm-incident" : "") + chosen.side, pane);
      var text = L.DomUtil.create("span", "", label);
      text.textContent = cand.row[0];
      if (chosen.shift) { text.style[chosen.side ? "right" : "left"] = (6 + chosen.shift) + "px"; }
      L.DomUtil.setPosition(label, map.latLngToLayerPoint(cand.latlng));
    }
    map.getContainer().setAttribute("data-places", String(count));
    if (count && !this.credited && map.attributionControl) {  // credit what is drawn
      this.credited = true;
      map.attributionControl.addAttribution("GeoNames");
    }
    // An incident's place hidden by the briefing's callout: the callout moves to another
    // side of its incident (once per view) and the names are laid out again.
    var manager = map.incidentMap;
    if (blocked && manager && manager.moveFocusLabel && (this.calloutMoves || 0) < 3) {
      this.calloutMoves = (this.calloutMoves || 0) + 1;
      if (manager.moveFocusLabel()) { this.drawPlaces(); }
    }
  };

  window.IncidentBasemap = {
    add: function (map, options) { map.incidentBasemap = new Basemap(map, options); },
  };
})();
