/* Incident Map, large datasets: the data is fetched once per dataset, then only a filter
 * mask changes.
 *
 * The dataset's binary payload (dashboard/maps/payload.py) is fetched by its content hash
 * and kept in this window for as long as the page lives, so a rerun of the page (a filter
 * change) hands over only a new base64 bitset of the rows that pass. Points are indexed
 * with supercluster; clusters are small DOM icons, single incidents are circles on one
 * canvas, and a popup is made from its row when opened (its texts are fetched in chunks of
 * rows, already HTML-escaped by the server). The year player calls setYear, which re-indexes
 * in the browser without a rerun.
 */
(function () {
  "use strict";
  if (window.IncidentScale) { return; }

  var datasets = {};   // url -> Promise of the parsed dataset
  var texts = {};      // url of a text chunk -> Promise of its JSON
  var stats = { payloadFetches: 0, payloadBytes: 0, textFetches: 0 };

  function parse(buffer) {
    var view = new DataView(buffer);
    var magic = String.fromCharCode(view.getUint8(0), view.getUint8(1), view.getUint8(2),
                                    view.getUint8(3));
    if (magic !== "IMD1") { throw new Error("not an incident payload"); }
    var length = view.getUint32(4, true);
    var header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, length)));
    var start = 8 + length, count = header.count, columns = {};
    var kinds = { float32: Float32Array, uint8: Uint8Array, int16: Int16Array };
    header.columns.forEach(function (column) {
      columns[column.name] = new kinds[column.dtype](buffer, start + column.offset, count);
    });
    return { header: header, count: count, columns: columns };
  }

  function loadDataset(url) {
    if (!datasets[url]) {
      datasets[url] = fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) { throw new Error("could not load " + url + ": " + response.status); }
        return response.arrayBuffer();
      }).then(function (buffer) {
        stats.payloadFetches += 1;
        stats.payloadBytes += buffer.byteLength;
        return parse(buffer);
      });
      datasets[url].catch(function () { delete datasets[url]; });
    }
    return datasets[url];
  }

  /* The filter's bitset (payload.encode_mask): null (every row), base64, or "z:" and the
   * base64 of a zlib stream. Resolves to a Uint8Array or null. */
  function decodeMask(mask) {
    if (mask === null || mask === undefined) { return Promise.resolve(null); }
    var packed = mask.slice(0, 2) === "z:";
    var raw = atob(packed ? mask.slice(2) : mask), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    if (!packed) { return Promise.resolve(bytes); }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Response(stream).arrayBuffer().then(function (buffer) {
      return new Uint8Array(buffer);
    });
  }

  function passes(bits, i) { return bits === null || (bits[i >> 3] >> (i & 7)) & 1; }

  function textChunk(options, chunk) {
    if (options.texts) {  // a page that carries its texts (an export)
      var inline = options.texts[String(chunk)];
      return inline ? Promise.resolve(inline) : Promise.reject(new Error("no texts"));
    }
    var url = options.textPrefix + chunk + ".json";
    if (!texts[url]) {
      texts[url] = fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) { throw new Error("could not load " + url); }
        stats.textFetches += 1;
        return response.json();
      });
      texts[url].catch(function () { delete texts[url]; });
    }
    return texts[url];
  }

  function popupHtml(layer, i, t) {
    var o = layer.options, c = layer.data.columns, type = c.type[i];
    return '<div class="incident-popup"><div class="ip-title">' + t.title + "</div>" +
      '<div class="ip-meta"><span class="ip-type" style="border-color:' + o.colours[type] +
      '">' + o.typeLabels[type] + "</span> " + t.date + "</div>" +
      '<div class="ip-place">' + t.place + ' <span class="ip-muted">(' +
      o.precWords[c.prec[i]] + ")</span></div>" +
      '<div class="ip-attribution"><b>Attribution:</b> ' + o.attrLabels[c.attr[i]] +
      "</div>" + '<div class="ip-id">' + t.id + "</div></div>";
  }

  /* Views with more points than this are indexed in two steps (see ScaleLayer.rebuild). */
  var QUICK_POINTS = 20000;

  /* An index on the page's thread, answering through callbacks like the worker's. */
  function LocalIndex(index) { this.index = index; }
  LocalIndex.prototype.getClusters = function (box, zoom, callback) {
    callback(this.index.getClusters(box, zoom), this);
  };
  LocalIndex.prototype.expansionZoom = function (clusterId, callback) {
    callback(this.index.getClusterExpansionZoom(clusterId));
  };

  /* The full index living in a worker (incident_scale_worker.js): questions are messages. */
  function DeepIndex(worker, generation) {
    this.worker = worker;
    this.generation = generation;
    this.waiting = {};
    this.next = 0;
    var self = this;
    worker.onmessage = function (event) {
      var reply = event.data, callback = self.waiting[reply.id];
      if (reply.generation !== self.generation || !callback) { return; }
      delete self.waiting[reply.id];
      callback(reply.result);
    };
  }
  DeepIndex.prototype.ask = function (question, callback) {
    var id = ++this.next;
    this.waiting[id] = callback;
    question.id = id;
    question.generation = this.generation;
    this.worker.postMessage(question);
  };
  DeepIndex.prototype.getClusters = function (box, zoom, callback) {
    var self = this;
    this.ask({ type: "clusters", box: box, zoom: zoom }, function (found) {
      callback(found, self);
    });
  };
  DeepIndex.prototype.expansionZoom = function (clusterId, callback) {
    this.ask({ type: "expansion", cluster: clusterId }, callback);
  };

  var ScaleLayer = L.Layer.extend({
    initialize: function (options) {
      this.options = options;
      this.year = null;
      this.index = null;
      this.shown = [];
      this.counts = { clusters: 0, points: 0, visible: 0 };
    },
    onAdd: function (map) {
      this._map = map;
      this.renderer = this.renderer || L.canvas({ padding: 0.3 });
      this.group = this.group || L.layerGroup();
      this.group.addTo(map);
      map.on("moveend", this.redraw, this);
      if (this.data) { this.redraw(); }
    },
    onRemove: function (map) {
      map.off("moveend", this.redraw, this);
      this.group.remove();
    },
    setData: function (data, bits) {
      this.data = data;
      this.bits = bits;
      this.rebuild();
    },
    setYear: function (year, windowed) {
      this.year = year;
      this.windowed = Boolean(windowed);
      this.rebuild();
    },
    rebuild: function () {
      var c = this.data.columns, n = this.data.count, noYear = this.data.header.noYear;
      var points = [], year = this.year;
      for (var i = 0; i < n; i++) {
        if (!passes(this.bits, i)) { continue; }
        var lat = c.lat[i], lon = c.lon[i];
        if (lat !== lat || lon !== lon) { continue; }  // NaN: no coordinates
        if (year !== null && (c.year[i] === noYear || c.year[i] > year ||
                              (this.windowed && c.year[i] !== year))) { continue; }
        points.push({ type: "Feature", properties: { i: i },
                      geometry: { type: "Point", coordinates: [lon, lat] } });
      }
      this.counts.visible = points.length;
      var started = performance.now();
      // The levels near street zoom cost most to index (the points barely merge there), so
      // a large view is first indexed up to quickMaxZoom on the page's thread and drawn;
      // the full index is built meanwhile in a worker, which answers for the closer zooms.
      var full = this.options.clusterMaxZoom, quick = full;
      if (this.options.quickMaxZoom !== undefined && points.length > QUICK_POINTS) {
        quick = Math.min(full, this.options.quickMaxZoom);
      }
      this.index = new Supercluster({ radius: this.options.clusterRadius, maxZoom: quick,
                                      minPoints: 2 });
      this.index.load(points);
      this.quick = new LocalIndex(this.index);
      this.indexZoom = quick;
      if (this._map) {  // how long the index took (read by benchmarks/bench_scale.py)
        this._map.getContainer().setAttribute("data-im-index-ms",
                                              String(Math.round(performance.now() - started)));
      }
      this.deep = null;
      if (quick < full) { this.buildDeep(points); }
      if (this._map) { this.redraw(); }
    },
    /* The full index, built off the page's thread (or, without workers, after the first
     * draw); redraws when it is ready if the map is zoomed past the quick index. */
    buildDeep: function (points) {
      var self = this, generation = (this.generation || 0) + 1;
      this.generation = generation;
      var settings = { radius: this.options.clusterRadius,
                       maxZoom: this.options.clusterMaxZoom, minPoints: 2 };
      var done = function (deep) {
        if (self.generation !== generation) { return; }
        self.deep = deep;
        if (self._map && Math.round(self._map.getZoom()) > self.indexZoom) { self.redraw(); }
      };
      if (this.options.workerUrl && window.Worker) {
        var coords = new Float32Array(points.length * 2), rows = new Int32Array(points.length);
        points.forEach(function (p, k) {
          coords[2 * k] = p.geometry.coordinates[0];
          coords[2 * k + 1] = p.geometry.coordinates[1];
          rows[k] = p.properties.i;
        });
        if (this.worker && this.workerBusy) { this.worker.terminate(); this.worker = null; }
        if (!this.worker) {
          try {
            this.worker = new Worker(this.options.workerUrl);
          } catch (error) {
            this.worker = null;
          }
        }
        if (this.worker) {
          var worker = this.worker;
          this.workerBusy = true;
          worker.onmessage = function (event) {
            if (event.data.type !== "ready" || event.data.generation !== generation) { return; }
            self.workerBusy = false;
            done(new DeepIndex(worker, generation));
          };
          // A worker that cannot start or fails (its script not served): the full index is
          // built on the page's thread instead.
          worker.onerror = function () {
            if (self.worker === worker) { self.worker = null; self.workerBusy = false; }
            if (self.generation === generation && !self.deep) {
              self.buildLocal(points, settings, generation, done);
            }
          };
          worker.postMessage({ type: "load", generation: generation, coords: coords,
                               rows: rows, settings: settings,
                               supercluster: this.options.superclusterUrl },
                             [coords.buffer, rows.buffer]);
          return;
        }
      }
      this.buildLocal(points, settings, generation, done);
    },
    buildLocal: function (points, settings, generation, done) {
      var self = this;
      setTimeout(function () {
        if (self.generation !== generation) { return; }
        var index = new Supercluster(settings);
        index.load(points);
        done(new LocalIndex(index));
      }, 0);
    },
    /* The clusters and points in view: from the quick index up to its zoom, from the full
     * one beyond (once ready). Calls back with supercluster's features. */
    query: function (box, zoom, callback) {
      (zoom > this.indexZoom && this.deep ? this.deep : this.quick).getClusters(box, zoom,
                                                                               callback);
    },
    clusterIcon: function (count) {
      var size = count < 100 ? 30 : count < 1000 ? 36 : count < 10000 ? 42 : 50;
      var band = count < 100 ? "small" : count < 1000 ? "medium" : "large";
      var label = count >= 10000 ? Math.round(count / 1000) + "k" : String(count);
      return L.divIcon({ className: "im-scale-cluster im-scale-" + band,
                         iconSize: [size, size],
                         html: "<span>" + label + "</span>" });
    },
    redraw: function () {
      var map = this._map;
      if (!map || !this.index) { return; }
      var bounds = map.getBounds(), zoom = Math.round(map.getZoom());
      var west = Math.max(-180, bounds.getWest()), east = Math.min(180, bounds.getEast());
      if (bounds.getEast() - bounds.getWest() >= 360) { west = -180; east = 180; }
      var box = [west, Math.max(-85, bounds.getSouth()), east, Math.min(85, bounds.getNorth())];
      var self = this, ticket = (this.ticket || 0) + 1;
      this.ticket = ticket;
      this.query(box, zoom, function (found, source) {
        if (self.ticket === ticket) { self.draw(found, source, zoom); }
      });
    },
    draw: function (found, source, zoom) {
      var map = this._map;
      this.group.clearLayers();
      var o = this.options, c = this.data.columns, self = this, clusters = 0, points = 0;
      found.forEach(function (feature) {
        var xy = feature.geometry.coordinates, latlng = [xy[1], xy[0]];
        if (feature.properties.cluster) {
          clusters += 1;
          var count = feature.properties.point_count;
          var marker = L.marker(latlng, { icon: self.clusterIcon(count), keyboard: true,
                                          title: count + " incidents: click to zoom in" });
          marker.clusterId = feature.properties.cluster_id;
          marker.on("click", function () {
            source.expansionZoom(marker.clusterId, function (expansion) {
              map.setView(latlng, Math.min(expansion, map.getMaxZoom()));
            });
          });
          self.group.addLayer(marker);
          return;
        }
        points += 1;
        var i = feature.properties.i, type = c.type[i], attr = o.attrs[c.attr[i]];
        var colour = o.colours[type];
        var circle = L.circleMarker(latlng, {
          renderer: self.renderer, radius: o.radius, color: attr === "unknown" ? "#555" : colour,
          weight: 1.5, fillColor: attr === "unknown" ? "#bbb" : colour,
          fillOpacity: attr === "confirmed" ? 0.9 : 0.35,
          dashArray: attr === "alleged" ? "3 2" : attr === "unknown" ? "1 2" : null,
        });
        // A popup of the map's own, not bound to the circle: redrawing after the popup pans
        // the map replaces the circles and would close a bound one.
        circle.on("click", function () { self.openPopup(latlng, i); });
        self.group.addLayer(circle);
      });
      this.counts.clusters = clusters;
      this.counts.points = points;
      var box = map.getContainer();
      box.setAttribute("data-im-scale", "drawn");
      box.setAttribute("data-im-clusters", String(clusters));
      box.setAttribute("data-im-points", String(points));
      box.setAttribute("data-im-visible", String(this.counts.visible));
      box.setAttribute("data-im-zoom", String(zoom));
      box.setAttribute("data-im-index", source === this.deep ? "full" :
                       this.indexZoom < this.options.clusterMaxZoom ? "quick" : "whole");
      // Where the full index lives: in the worker, or on the page's thread when the worker
      // could not start.
      box.setAttribute("data-im-deep", !this.deep ? "" :
                       this.deep instanceof DeepIndex ? "worker" : "page");
    },
    /* Opens a popup for row i once its texts are in (they are fetched with the first popup
     * of their chunk of rows). */
    openPopup: function (latlng, i) {
      var self = this;
      return this.popupText(i).then(function (html) {
        return L.popup({ maxWidth: self.options.popupWidth,
                         className: "incident-popup-wrapper" })
          .setLatLng(latlng).setContent(html).openOn(self._map);
      });
    },
    popupText: function (i) {
      var self = this, size = this.data.header.textChunk;
      return textChunk(this.options, Math.floor(i / size)).then(function (part) {
        var k = i % size;
        return popupHtml(self, i, { title: part.title[k], date: part.date[k],
                                    place: part.place[k], id: part.id[k] });
      }, function () {
        return "The details of this incident could not be loaded.";
      });
    },
  });

  function ready(layer) {
    // Drawn once both the data and the filter are known (they arrive in either order).
    if (!layer.data || layer.mask === undefined) { return; }
    var mask = layer.mask;
    decodeMask(mask).then(function (bits) {
      if (layer.mask === mask) { layer.setData(layer.data, bits); }  // not overtaken
    });
  }

  window.IncidentScale = {
    stats: stats,
    create: function (map, options) {
      if (map.options.maxZoom === undefined) { map.setMaxZoom(options.maxZoom); }
      if (options.offline) { map.getContainer().classList.add("incident-map-offline"); }
      // Leaflet's default credit carries a national flag; the map stays neutral.
      if (map.attributionControl) {
        map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
      }
      var layer = new ScaleLayer(options);
      layer.mask = undefined;
      map.incidentScale = layer;
      // The year player (YearPlayControl) drives map.incidentMap.setYear.
      map.incidentMap = { setYear: function (year, windowed) {
        if (!layer.index) { return null; }
        layer.setYear(year, windowed);
        return layer.counts.visible;  // incidents on the map (with coordinates)
      } };
      layer.addTo(map);
      var started = performance.now();
      loadDataset(options.url).then(function (data) {
        layer.data = data;
        ready(layer);
        map.getContainer().setAttribute("data-im-draw-ms",
                                        String(Math.round(performance.now() - started)));
        if (options.focus !== null && options.focus !== undefined) {
          var c = data.columns, i = options.focus;
          var latlng = [c.lat[i], c.lon[i]];
          map.setView(latlng, options.focusZoom, { animate: false });
          layer.openPopup(latlng, i);
        }
      }, function (error) {
        map.getContainer().setAttribute("data-im-scale", "failed");
        if (window.console) { window.console.error(error); }
      });
      return layer;
    },
    /* A new filter for a map made by create: the rows that pass and the view to fit. */
    filter: function (map, state) {
      var layer = map.incidentScale;
      if (!layer) { return; }
      layer.mask = state.mask;
      var focused = layer.options.focus !== null && layer.options.focus !== undefined;
      if (state.bounds && !focused) {
        // The map's own fit to the new incidents, not a move of the user's: the page's URL
        // keeps the user's moves only (static/view_report.js reads this flag), so the fit
        // does not make the page run a second time.
        map.incidentAutoFit = true;
        try {
          map.fitBounds(state.bounds, { maxZoom: layer.options.maxFitZoom, padding: [20, 20],
                                        animate: false });
        } finally {
          map.incidentAutoFit = false;
        }
      }
      ready(layer);
    },
  };
})();
