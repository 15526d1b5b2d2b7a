/* Incident Map: draws incidents from one compact, column-wise data object.
 *
 * Python (dashboard/maps/mapping.py) escapes every text it puts in `tip` and `popup`, so the
 * strings here are HTML already and are handed to Leaflet as they are.
 * Layers are built lazily: a layer the reader never switches on costs nothing.
 */
(function () {
  "use strict";
  if (window.IncidentMap) { return; }
  // The map's frame is a document of its own: it says what it is and in which language.
  if (!document.title) { document.title = "Incident map"; }
  if (!document.documentElement.lang) { document.documentElement.lang = "en"; }

  /* Credits name only what is drawn: a tile layer's credit appears with its first tile (a
   * machine with no network draws none, and credits nobody for it). */
  function creditTiles(map) {
    if (map.__incidentCredits || !map.attributionControl) { return; }
    map.__incidentCredits = true;
    map.eachLayer(function (layer) {
      if (!(layer instanceof L.TileLayer) || !layer.options.attribution) { return; }
      var credit = layer.options.attribution;
      map.attributionControl.removeAttribution(credit);
      layer.getAttribution = function () { return null; };
      layer.once("tileload", function () { map.attributionControl.addAttribution(credit); });
    });
  }

  function yearVisible(manager, index) {
    var year = manager.data.year[index];  // null: undated, shown only with every year
    if (manager.year === null) { return true; }
    // The player runs cumulatively (up to the year) or as a moving window (that year only).
    return year !== null && (manager.windowed ? year === manager.year : year <= manager.year);
  }

  function popupHtml(d, i) {
    var type = d.type[i];
    return '<div class="incident-popup"><div class="ip-title">' + d.title[i] + "</div>" +
      '<div class="ip-meta"><span class="ip-type" style="border-color:' + d.colours[type] + '">' +
      d.typeLabels[type] + "</span> " + d.dates[d.date[i]] +
      ' <span class="ip-muted">(' + d.dateWords[d.dp[i]] + ")</span></div>" +
      '<div class="ip-place">' + d.places[d.place[i]] +
      ' <span class="ip-muted">(' + d.precWords[d.prec[i]] + ")</span></div>" +
      (d.summary && d.summary[i] ? '<p class="ip-summary">' + d.summary[i] + "</p>" : "") +
      '<div class="ip-attribution"><b>Attribution:</b> ' + d.attrLabels[d.attr[i]] + "</div>" +
      (d.more ? d.more[i] : "") +
      '<div class="ip-id">' + d.id[i] + "</div></div>";
  }

  function tooltipHtml(d, i) {
    return d.title[i] + " \u00b7 " + d.dates[d.date[i]];
  }

  function popupOptions(manager) {
    // A popup taller than the map would hide its title or slide under the controls at the
    // bottom: long ones scroll instead (Leaflet's maxHeight), sized to the map.
    var options = { maxWidth: manager.options.popupWidth, className: "incident-popup-wrapper" };
    var height = manager.map.getSize().y;
    if (height > 0) { options.maxHeight = Math.max(160, height - 150); }
    return options;
  }

  function markerFor(manager, index) {
    var d = manager.data;
    var r = d.r[index];
    var classes = "incident-marker im-symbol incident-" + d.id[index] +
      " im-t-" + d.types[d.type[index]] + " im-a-" + d.attrs[d.attr[index]] +
      (d.parent[index] >= 0 ? " im-child" : "") +
      (index === manager.options.focus ? " im-focus" : "");
    var marker = L.marker([d.lat[index], d.lon[index]], {
      icon: L.divIcon({ className: classes, iconSize: [2 * r, 2 * r], html: "" }),
      keyboard: false,  // the map is the tab stop (spread.js adds keys and names)
      riseOnHover: true,
      // Small symbols above large ones (a big expulsion circle never hides a killing),
      // and the focused incident above all.
      zIndexOffset: Math.round((60 - r) * 1000) + (index === manager.options.focus ? 100000 : 0),
      alt: "",
    });
    marker.incidentIndex = index;
    marker.bindTooltip(tooltipHtml(d, index), { direction: "top", offset: [0, -r] });
    marker.bindPopup(function () { return popupHtml(d, index); }, popupOptions(manager));
    if (window.IncidentSpread) { window.IncidentSpread.attach(manager, marker); }
    return marker;
  }

  function curve(a, b) {
    // A gentle arc from a to b (lat/lng), bending to the left of the travel direction.
    var dx = b[1] - a[1], dy = b[0] - a[0];
    var mid = [(a[0] + b[0]) / 2 - dx * 0.18, (a[1] + b[1]) / 2 + dy * 0.18];
    var points = [];
    for (var i = 0; i <= 16; i++) {
      var t = i / 16, u = 1 - t;
      points.push([u * u * a[0] + 2 * u * t * mid[0] + t * t * b[0],
                   u * u * a[1] + 2 * u * t * mid[1] + t * t * b[1]]);
    }
    return points;
  }

  /* A precision ring tints the area where the incident may be. Once the ring is larger than
   * the view (zoomed in to a city-precision incident, the view is inside it) the tint would
   * colour the whole map, and many rings in one city would stack into a solid colour: such a
   * ring keeps only its outline. */
  var HALO_FILL = 0.07;
  function fadeHalos(map, items) {
    var size = map.getSize();
    if (!size.x) { return; }
    var limit = Math.min(size.x, size.y) * 0.35, centre = map.getCenter();
    var metresPerPixel = 40075016.686 * Math.cos(centre.lat * Math.PI / 180) /
      Math.pow(2, map.getZoom() + 8);
    items.forEach(function (item) {
      var pixels = item.layer.getRadius() / metresPerPixel;
      var fill = pixels > limit ? 0 : HALO_FILL;
      if (item.layer.options.fillOpacity !== fill) { item.layer.setStyle({ fillOpacity: fill }); }
    });
  }

  /* One toggleable layer whose content is made on first use, then filtered by year. */
  // Plugin files a layer needs, loaded on first use (each URL once per page).
  var loading = {};
  function loadScript(url) {
    if (!loading[url]) {
      loading[url] = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = url;
        script.onload = resolve;
        script.onerror = function () { reject(new Error("could not load " + url)); };
        document.head.appendChild(script);
      });
    }
    return loading[url];
  }
  function loadPlugin(plugin) {
    plugin.css.forEach(function (url) {
      if (loading[url]) { return; }
      loading[url] = true;
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = url;
      document.head.appendChild(link);
    });
    // one after another: a plugin's later files may build on its first
    return plugin.js.reduce(function (done, url) {
      return done.then(function () { return loadScript(url); });
    }, Promise.resolve());
  }

  var LazyLayer = L.Layer.extend({
    initialize: function (manager, kind, build, plugin) {
      this.manager = manager;
      this.kind = kind;
      this.build = build;
      this.plugin = plugin;  // files to load before the first build, or null
      this.items = null;   // [{layer, index}] or null before the first build
      this.inner = null;   // the Leaflet group holding the items
      manager.layers.push(this);
    },
    onAdd: function (map) {
      if (!this.inner && this.plugin) {
        var self = this;
        if (!this.pending) {
          this.pending = loadPlugin(this.plugin).then(function () {
            self.plugin = null;
            self.pending = null;
            if (self._map) { self.onAdd(self._map); }  // still wanted once the files are in
          }, function (error) {
            self.pending = null;  // try again the next time the layer is switched on
            if (window.console) { window.console.error(error); }
          });
        }
        return;
      }
      if (!this.inner) {
        var made = this.build(this.manager);
        this.inner = made.group;
        this.items = made.items;
        this.shown = [];
        for (var i = 0; i < this.items.length; i++) { this.shown.push(false); }
        // On the map first: markercluster's addLayers on a group that is not on a map
        // scans its whole pending list for every marker (quadratic in the marker count).
        map.addLayer(this.inner);
        this.applyYear();
        return;
      }
      map.addLayer(this.inner);
      this.eachOwn(function (layer) { map.addLayer(layer); });
    },
    onRemove: function (map) {
      if (this.inner) { map.removeLayer(this.inner); }
      this.eachOwn(function (layer) { map.removeLayer(layer); });
    },
    /* Items drawn on the map beside the group, not in it (a focused incident among
     * clusters), that the year shows. */
    eachOwn: function (fn) {
      if (!this.items) { return; }
      for (var i = 0; i < this.items.length; i++) {
        if (this.items[i].own && this.shown[i]) { fn(this.items[i].layer); }
      }
    },
    applyYear: function () {
      if (!this.items) { return; }
      if (this.inner.setYear) { this.inner.setYear(this.manager); return; }
      var add = [], remove = [];
      for (var i = 0; i < this.items.length; i++) {
        var item = this.items[i];
        var visible = yearVisible(this.manager, item.index);
        if (visible !== this.shown[i]) {
          this.shown[i] = visible;
          if (item.own) {  // on the map itself, beside the group
            if (this._map && visible) { this._map.addLayer(item.layer); }
            if (this._map && !visible) { this._map.removeLayer(item.layer); }
            continue;
          }
          (visible ? add : remove).push(item.layer);
        }
      }
      if (this.inner.addLayers) {          // marker cluster group: batch operations
        if (remove.length) { this.inner.removeLayers(remove); }
        if (add.length) { this.inner.addLayers(add); }
      } else {
        remove.forEach(function (layer) { this.inner.removeLayer(layer); }, this);
        add.forEach(function (layer) { this.inner.addLayer(layer); }, this);
      }
    },
    findMarker: function (index) {
      if (!this.items) { return null; }
      for (var i = 0; i < this.items.length; i++) {
        if (this.items[i].index === index && this.items[i].layer instanceof L.Marker) {
          return this.items[i].layer;
        }
      }
      return null;
    },
  });

  function allIndexes(d) {
    var out = [];
    for (var i = 0; i < d.lat.length; i++) { out.push(i); }
    return out;
  }

  function markerItems(manager) {
    return allIndexes(manager.data).map(function (i) {
      return { layer: markerFor(manager, i), index: i };
    });
  }

  var builders = {
    markers: function (manager) {
      return { group: L.featureGroup(), items: markerItems(manager) };
    },
    clusters: function (manager) {
      var group = L.markerClusterGroup({
        chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50,
        spiderfyOnMaxZoom: true,
      });
      // The focused incident is never inside a cluster: its symbol stays on its own,
      // above the clusters around it (a cluster would hide it and its focus ring's point).
      var items = markerItems(manager), focus = manager.options.focus;
      items.forEach(function (item) {
        if (item.index === focus) { item.own = true; item.layer.incidentOwn = true; }
      });
      return { group: group, items: items };
    },
    halos: function (manager) {
      var d = manager.data, items = [];
      allIndexes(d).forEach(function (i) {
        var metres = d.haloMetres[d.prec[i]];
        if (!metres) { return; }
        var colour = d.colours[d.type[i]];
        items.push({ index: i, layer: L.circle([d.lat[i], d.lon[i]], {
          radius: metres, interactive: false, color: colour, weight: 1, opacity: 0.55,
          fillColor: colour, fillOpacity: HALO_FILL, className: "incident-halo",
        }) });
      });
      var group = L.featureGroup();
      manager.listen("zoomend", function () { fadeHalos(manager.map, items); });
      manager.listen("moveend", function () { fadeHalos(manager.map, items); });
      group.on("add", function () { fadeHalos(manager.map, items); });
      return { group: group, items: items };
    },
    flows: function (manager) {
      var d = manager.data, items = [];
      d.flows.forEach(function (flow) {
        var i = flow[0], from = [d.lat[i], d.lon[i]], to = [flow[1], flow[2]];
        var line = L.polyline(curve(from, to), {
          color: d.flowColour, weight: flow[4], opacity: 0.6, className: "incident-flow",
        });
        line.bindTooltip(flow[3], { sticky: true });
        var end = L.circleMarker(to, {
          radius: 3, color: "#555", weight: 1, fillColor: "#fff", fillOpacity: 1,
          className: "incident-counterpart",
        });
        end.bindTooltip(flow[3]);
        items.push({ layer: line, index: i }, { layer: end, index: i });
      });
      d.links.forEach(function (link) {
        var i = link[0], j = link[1];
        var line = L.polyline([[d.lat[i], d.lon[i]], [d.lat[j], d.lon[j]]], {
          color: "#666", weight: 1.2, opacity: 0.7, dashArray: "2 4", interactive: false,
          className: "incident-link",
        });
        items.push({ layer: line, index: i });
      });
      return { group: L.featureGroup(), items: items };
    },
    heat: function (manager) {
      var d = manager.data;
      var heat = L.heatLayer([], { radius: 18, blur: 22, minOpacity: 0.35, maxZoom: 10 });
      heat.setYear = function (m) {
        var points = [];
        for (var i = 0; i < d.lat.length; i++) {
          if (yearVisible(m, i)) { points.push([d.lat[i], d.lon[i], 1]); }
        }
        heat.setLatLngs(points);
      };
      return { group: heat, items: [] };
    },
  };

  /* fitBounds options that keep incidents clear of the controls at the bottom of the map
   * (the play control and scale on the left, the legend on the right): the bottom padding
   * is the height they take; an open, tall legend pads the right side instead. A given,
   * fixed extent (`fixedFit`: the frames of an animation) is fitted the same way whatever
   * the controls hold, so every frame shows the same map. */
  function fitOptions(map, options, extra, frame) {
    frame = frame || options.frame || {};
    if (frame.exact) {  // the extent a screen showed: all of it, no margin
      return L.extend({ padding: [0, 0], maxZoom: frame.maxZoom }, extra || {});
    }
    if (frame.fixed) {
      return L.extend({ padding: [20, 20], maxZoom: frame.maxZoom }, extra || {});
    }
    var container = map.getContainer(), size = map.getSize();
    function corner(name) {
      var box = container.querySelector(".leaflet-" + name.split("-").join(".leaflet-"));
      var width = 0, height = 0;
      if (box) {
        Array.prototype.forEach.call(box.children, function (control) {
          width = Math.max(width, control.offsetWidth);
          height += control.offsetHeight + 10;
        });
      }
      return { width: width, height: height };
    }
    var bl = corner("bottom-left"), br = corner("bottom-right");
    var margin = 20;
    // Only pad a side when what is left of the map is still large enough to show the data.
    var bottom = Math.max(bl.height, br.height < size.y / 3 ? br.height : 0);
    var right = br.height >= size.y / 3 && br.width < size.x / 2 ? br.width : 0;
    var fit = {
      paddingTopLeft: [margin, margin],
      paddingBottomRight: [margin + right, margin + bottom],
      maxZoom: frame.maxZoom,
    };
    return L.extend(fit, extra || {});
  }

  function Manager(map, data, options) {
    this.map = map;
    this.data = data;
    this.options = options;
    this.layers = [];
    this.year = null;
    this.handlers = [];   // [event, fn] on the map, removed with this manager
    this.controls = [];   // controls added for these incidents (legend, player, layers)
    this.drawn = [];      // focus ring and label
  }
  Manager.prototype.listen = function (event, fn) {
    this.map.on(event, fn);
    this.handlers.push([event, fn]);
  };
  /* The layers and the layer menu: [{kind, name, show, plugin}] (plugin: files to load on
   * first use, or null). */
  Manager.prototype.addLayers = function (specs) {
    var map = this.map, overlays = {}, self = this;
    specs.forEach(function (spec) {
      var layer = self.layer(spec.kind, spec.plugin);
      overlays[spec.name] = layer;
      if (spec.show) { map.addLayer(layer); }
    });
    if (map.incidentOutline) { overlays[map.incidentOutline.name] = map.incidentOutline.layer; }
    if (specs.length || map.incidentOutline) {
      L.control.layers(null, overlays, { collapsed: true, position: "topright" }).addTo(map);
    }
  };
  /* Take this manager's incidents off the map (the page replaces them in place). */
  Manager.prototype.destroy = function () {
    var map = this.map, self = this;
    var reopen = null, data = this.data, popups = [];
    map.eachLayer(function (layer) { if (layer instanceof L.Popup) { popups.push(layer); } });
    popups.forEach(function (popup) {
      var source = popup._source;
      if (source && source.incidentIndex !== undefined) { reopen = data.id[source.incidentIndex]; }
      map.removeLayer(popup);
    });
    map._incidentReopen = reopen;
    this.layers.forEach(function (layer) { if (map.hasLayer(layer)) { map.removeLayer(layer); } });
    this.drawn.forEach(function (layer) { if (map.hasLayer(layer)) { map.removeLayer(layer); } });
    this.controls.forEach(function (control) { control.remove(); });
    this.handlers.forEach(function (pair) { map.off(pair[0], pair[1]); });
    this.layers = []; this.drawn = []; this.controls = []; this.handlers = [];
    self.destroyed = true;
  };
  Manager.prototype.layer = function (kind, plugin) {
    return new LazyLayer(this, kind, builders[kind], plugin || null);
  };
  /* Show the incidents up to `year` (or, `windowed`, of that year only; null: every year)
   * and return how many are shown, for the player's label. */
  Manager.prototype.setYear = function (year, windowed) {
    this.year = year;
    this.windowed = Boolean(windowed);
    this.layers.forEach(function (layer) { layer.applyYear(); });
    var shown = 0;
    for (var i = 0; i < this.data.year.length; i++) {
      if (yearVisible(this, i)) { shown++; }
    }
    return shown;
  };
  /* Put the map at the view's frame (Python's ``framing.frame_view`` decided it): a centre
   * and zoom, or bounds to fit. ``animate``: fly there (at most options.flySeconds). */
  Manager.prototype.applyFrame = function (animate, given) {
    var map = this.map, options = this.options, frame = given || options.frame || {};
    var seconds = options.flySeconds || 0.8;
    if (!map.getSize().y) { return false; }
    map._incidentFlying = Boolean(animate);
    map.incidentAutoFit = true;  // the map's own move, not the user's (view_report.js)
    if (frame.center && frame.zoom !== null && frame.zoom !== undefined) {
      if (animate) {
        map.flyTo(frame.center, frame.zoom, { duration: seconds });
      } else {
        map.setView(frame.center, frame.zoom, { animate: false });
      }
    } else if (frame.bounds) {
      if (frame.exact) { map.options.zoomSnap = 0; }  // any zoom that fills the picture
      var fit = fitOptions(map, options, animate ? { duration: seconds } : { animate: false },
                           frame);
      if (animate) { map.flyToBounds(frame.bounds, fit); } else { map.fitBounds(frame.bounds, fit); }
    } else {
      map._incidentFlying = false;
      map.incidentAutoFit = false;
      return true;
    }
    if (!animate) { map.incidentAutoFit = false; }
    return true;
  };
  /* The year player fits the incidents it animates: when it starts from the first year, a
   * view that leaves part of their extent out (a focused incident, the reader's own zoom)
   * or could show it at least a zoom closer (a small patch of a wide map) flies to the
   * extent that holds most of them (``options.playFrame``: framing.frame_view with no focus
   * and no ``at``). Returns whether the map moves. */
  Manager.prototype.fitPlay = function () {
    var map = this.map, frame = this.options.playFrame;
    if (!frame || !frame.bounds || !map.getSize().y) { return false; }
    var bounds = L.latLngBounds(frame.bounds);
    var closest = Math.min(map.getBoundsZoom(bounds), frame.maxZoom || map.getMaxZoom());
    if (map.getBounds().contains(bounds) && map.getZoom() >= closest - 1) { return false; }
    if (!this.applyFrame(true, frame)) { return false; }
    map._incidentUserMoved = true;  // the player's view: a resize keeps it
    return true;
  };
  Manager.prototype.finish = function () {
    var map = this.map, options = this.options, d = this.data, self = this;
    map._incidentCollect = null;
    if (options.offline) { map.getContainer().classList.add("incident-map-offline"); }
    map.getContainer().classList.toggle("incident-presenting", Boolean(options.presenting));
    map.getContainer().classList.toggle("incident-dim", Boolean(options.dimOthers) &&
                                        options.focus !== null && options.focus !== undefined);
    var focus = options.focus, latlng = null;
    if (focus !== null && focus !== undefined) {
      latlng = L.latLng(d.lat[focus], d.lon[focus]);
      if (!map.getPane("incidentFocus")) {
        var pane = map.createPane("incidentFocus");
        pane.style.zIndex = 650;  // above the markers (600), below tooltips and popups
        pane.style.pointerEvents = "none";
      }
      this.drawn.push(L.circleMarker(latlng, {
        radius: d.r[focus] + 7, color: "#111", weight: 2.5, fill: false, interactive: false,
        className: "incident-focus", pane: "incidentFocus",
      }).addTo(map));
      if (options.focusLabel) { this.drawFocusLabel(latlng); }
    }
    // The camera: the frame, at once on the map's first draw, flown to when the page
    // replaces the incidents of a map already on screen (a briefing's next step, a table
    // choice, a filter change). A frame the map already shows is not applied again, so the
    // reader's own pans and zooms stay.
    var key = JSON.stringify(options.frame || null);
    var first = !map._incidentFramed;
    // The incidents of the step a clicker's key left may be drawn again before those of the
    // step it leads to come (the page redraws its component as the run starts): the map
    // keeps flying ahead (IncidentMap.flyAhead) instead of flying back.
    var left = !first && map._incidentAhead && key === map._incidentAhead.from;
    if (!left) { map._incidentAhead = null; }  // arrived, or a frame of its own to fly to
    if (!left && (first || key !== map._incidentFrameKey)) {
      var animate = !first && options.fly !== false;
      if (this.applyFrame(animate)) {
        map._incidentFramed = true;
        map._incidentFrameKey = key;
      }
      // A table row chosen below the map: bring the map into view to show it.
      if (!first && (options.frame || {}).reason === "focus") { this.showFrameElement(); }
    }
    // The frame around the map may be resized after this (Streamlit sizes its iframe once
    // the page has laid out, a briefing fills the window): frame again, unless the reader
    // has moved the map or a flight is under way.
    var container = map.getContainer();
    if (!container.__incidentTouch) {
      container.__incidentTouch = true;
      ["mousedown", "wheel", "touchstart", "keydown", "dblclick"].forEach(function (name) {
        container.addEventListener(name, function (event) {
          if (!event.target.closest || !event.target.closest(".leaflet-control")) {
            map._incidentUserMoved = true;
          }
        }, { passive: true, capture: true });
      });
      map.on("moveend", function () {
        map._incidentFlying = false;
        map.incidentAutoFit = false;
      });
    }
    map._incidentUserMoved = false;
    this.listen("resize", function () {
      if (!map._incidentFramed) {
        if (self.applyFrame(false)) {
          map._incidentFramed = true;
          map._incidentFrameKey = key;
        }
      } else if (!map._incidentUserMoved && !map._incidentFlying) {
        self.applyFrame(false);
      }
      if (self.focusPopup && self.focusPopup.isOpen()) { self.focusPopup.update(); }
    });
    this.noteLeftOut();
    // The names are laid out again around these incidents (and a briefing's ring) when the
    // map stays where it is; a flight lays them out when it ends.
    if (!map._incidentFlying && map.incidentBasemap) { map.incidentBasemap.drawPlaces(); }
    if (focus !== null && focus !== undefined && options.focusPopup) {
      if (map.getSize().y > 0) { self.openFocus(latlng); } else {
        map.once("resize", function () { self.openFocus(latlng); });
      }
      return;
    }
    // A popup the reader had open before the incidents were replaced opens again.
    var reopen = map._incidentReopen;
    map._incidentReopen = null;
    if (reopen) {
      var index = d.id.indexOf(reopen);
      if (index >= 0 && yearVisible(this, index)) { this.openIncident(index, false); }
    }
  };
  Manager.prototype.showFrameElement = function () {
    var element = null;
    try { element = window.frameElement; } catch (error) { element = null; }
    if (!element || !window.parent) { return; }
    var box = element.getBoundingClientRect(), height = window.parent.innerHeight;
    if (box.top < 0 || box.bottom > height) {
      element.scrollIntoView({ block: box.height > height ? "start" : "center",
                               behavior: "smooth" });
    }
  };
  /* Briefing: name the place on the map itself, beside the incident, and keep the name off
   * the place labels' spots (basemap.js places them around it). */
  Manager.prototype.drawFocusLabel = function (latlng) {
    var map = this.map, d = this.data, focus = this.options.focus;
    var gap = d.r[focus] + 10;
    var tip = L.tooltip({ permanent: true, direction: "right", offset: [gap, 0],
                          className: "incident-focus-label", interactive: false })
      .setLatLng(latlng).setContent(d.places[d.place[focus]]).addTo(map);
    this.drawn.push(tip);
    var sides = ["right", "left", "bottom", "top"], side = 0;
    var offsets = { right: [gap, 0], left: [-gap, 0], top: [0, -gap], bottom: [0, gap] };
    // The place names keep clear of the callout; when the incident's own place would be
    // hidden, they ask the callout to move to another side (basemap.js).
    this.moveFocusLabel = function () {
      if (map.getSize().x < 520 || side >= sides.length - 1) { return false; }
      side++;
      placeLabel();
      return true;
    };
    // On a narrow map (a phone) the label goes above the incident and wraps within the
    // map's width, so it never runs off the edge; on a wide one it sits beside it.
    var placeLabel = function () {
      var width = map.getSize().x, el = tip.getElement();
      if (!width || !el) { return; }
      var narrow = width < 520;
      tip.options.direction = narrow ? "top" : sides[side];
      tip.options.offset = L.point(narrow ? [0, -gap] : offsets[sides[side]]);
      el.style.whiteSpace = "normal";
      el.style.width = "max-content";
      el.style.maxWidth = Math.round(narrow ? width * 0.8 : width * 0.34) + "px";
      tip.update();
    };
    placeLabel();
    this.listen("resize", placeLabel);
  };
  /* Incidents outside a fitted core extent are named in a note on the map. */
  Manager.prototype.noteLeftOut = function () {
    var frame = this.options.frame || {}, count = frame.leftOut || 0;
    if (!count || this.options.focus !== null && this.options.focus !== undefined) { return; }
    var Note = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var box = L.DomUtil.create("div", "incident-left-out leaflet-control");
        box.textContent = count + (count === 1 ? " incident lies" : " incidents lie") +
          " outside this view";
        box.setAttribute("role", "note");
        return box;
      },
    });
    var note = new Note();
    note.addTo(this.map);
    this.controls.push(note);
  };
  Manager.prototype.openIncident = function (index, pan) {
    var map = this.map, d = this.data, self = this;
    var opened = this.layers.some(function (layer) {
      if (!map.hasLayer(layer) || layer.kind === "clusters") { return false; }
      var marker = layer.findMarker(index);
      if (!marker) { return false; }
      marker.getPopup().options.autoPan = pan !== false;
      marker.openPopup();
      return true;
    });
    if (!opened) {
      var options = L.extend(popupOptions(self), { autoPan: pan !== false });
      L.popup(options).setLatLng([d.lat[index], d.lon[index]])
        .setContent(popupHtml(d, index)).openOn(map);
    }
  };
  Manager.prototype.openFocus = function (latlng) {
    // A popup measures its width when it opens; streamlit-folium adds Leaflet's style sheet
    // without waiting for it, so wait until it applies (the map pane is then absolutely
    // positioned), or the popup keeps an unstyled, full-width offset beside its marker.
    var self = this, pane = this.map.getPane("mapPane"), tries = 0;
    (function whenStyled() {
      if (window.getComputedStyle(pane).position === "absolute" || tries++ > 200) {
        self.openFocusNow(latlng);
      } else {
        setTimeout(whenStyled, 25);
      }
    })();
  };
  Manager.prototype.openFocusNow = function (latlng) {
    var map = this.map, d = this.data, focus = this.options.focus, self = this;
    var opened = this.layers.some(function (layer) {
      if (!map.hasLayer(layer)) { return false; }
      var marker = layer.findMarker(focus);
      if (!marker) { return false; }
      self.focusPopup = marker.getPopup();
      if (layer.inner.zoomToShowLayer && !marker.incidentOwn) {
        layer.inner.zoomToShowLayer(marker, function () { marker.openPopup(); });
      } else {
        marker.openPopup();
      }
      return true;
    });
    if (!opened) {
      self.focusPopup = L.popup(popupOptions(self)).setLatLng(latlng)
        .setContent(popupHtml(d, focus)).openOn(map);
    }
  };

  window.IncidentMap = {
    popupHtml: popupHtml,
    tooltipHtml: tooltipHtml,
    /* Fly to ``frame`` now, ahead of the incidents that go with it (a briefing's next step:
     * the page's run that sends them is under way). When they come with the same frame,
     * the map is already there or on its way, and does not fly again. */
    flyAhead: function (map, frame) {
      var manager = map && map.incidentMap;
      var key = JSON.stringify(frame || null);
      if (!manager || !frame || key === map._incidentFrameKey) { return false; }
      var from = map._incidentFrameKey;
      if (!manager.applyFrame(true, frame)) { return false; }
      map._incidentAhead = { from: from };
      map._incidentFramed = true;
      map._incidentFrameKey = key;
      return true;
    },
    create: function (map, data, options) {
      // clusters need a maximum zoom, which the map otherwise only gets from a tile layer
      if (map.options.maxZoom === undefined) { map.setMaxZoom(options.maxZoom); }
      // Leaflet's default credit carries a national flag; a briefing map stays neutral.
      if (map.attributionControl) {
        map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
      }
      creditTiles(map);
      if (map.incidentMap) { map.incidentMap.destroy(); }
      var manager = new Manager(map, data, options);
      map.incidentMap = manager;
      // Controls added until finish() belong to these incidents (legend, player, layer
      // menu) and go with them when the page replaces them.
      if (!L.Control.prototype.__incidentAddTo) {
        var addTo = L.Control.prototype.addTo;
        L.Control.prototype.__incidentAddTo = addTo;
        L.Control.prototype.addTo = function (target) {
          if (target && target._incidentCollect) { target._incidentCollect.push(this); }
          return addTo.call(this, target);
        };
      }
      map._incidentCollect = manager.controls;
      if (window.IncidentSpread) { window.IncidentSpread.keyboard(manager); }
      return manager;
    },
  };
})();
