/* Incident Map, data served through the query engine: each view asks the server.
 *
 * On every move (and filter change) the map asks /engine/view for its bounds and zoom; the
 * answer is either grid cells (drawn as cluster symbols: a click zooms to the cell's
 * incidents) or, when the view holds few enough, the incidents themselves (circles on one
 * canvas; a popup asks /engine/incident for its texts, which are inserted as text, never as
 * HTML). Answers for views already seen are kept, so going back costs nothing. The map's
 * container says what it shows (data-im-scale="drawn", data-im-clusters, data-im-points,
 * data-im-visible, data-im-engine = "cells" or "points") for tests and benchmarks.
 */
(function () {
  "use strict";
  if (window.IncidentEngine) { return; }

  var answers = {};  // url -> Promise of the view's JSON
  var answerOrder = [];
  var KEEP = 200;

  function fetchJSON(url) {
    if (!answers[url]) {
      answers[url] = fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) { throw new Error(url + ": " + response.status); }
        return response.json();
      });
      answers[url].catch(function () { delete answers[url]; });
      answerOrder.push(url);
      while (answerOrder.length > KEEP) { delete answers[answerOrder.shift()]; }
    }
    return answers[url];
  }

  function clusterIcon(count) {
    var size = count < 100 ? 30 : count < 1000 ? 36 : count < 10000 ? 42 : 50;
    var band = count < 100 ? "small" : count < 1000 ? "medium" : "large";
    var label = count >= 1000000 ? (count / 1000000).toFixed(1) + "M" :
      count >= 10000 ? Math.round(count / 1000) + "k" : String(count);
    return L.divIcon({ className: "im-scale-cluster im-scale-" + band,
                       iconSize: [size, size], html: "<span>" + label + "</span>" });
  }

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null && text !== "") { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function popupNode(state, row) {
    var o = state.options, box = element("div", null, "im-popup");
    var typeIndex = o.types.indexOf(row.event_type);
    var attrIndex = o.attrs.indexOf(row.attribution);
    box.appendChild(element("strong", row.title));
    box.appendChild(element("div", [row.date_label, row.place].filter(Boolean).join(" · ")));
    box.appendChild(element("div", [typeIndex >= 0 ? o.typeLabels[typeIndex] : row.event_type,
                                     attrIndex >= 0 ? o.attrLabels[attrIndex] : row.attribution]
                                    .join(" · ")));
    if (row.summary) { box.appendChild(element("p", row.summary)); }
    var sources = String(row.sources || "").split(";").map(function (s) { return s.trim(); })
      .filter(Boolean);
    if (sources.length) {
      var list = element("ul");
      sources.slice(0, 5).forEach(function (source) {
        var item = element("li");
        if (/^https?:\/\//i.test(source)) {
          var link = element("a", source);
          link.href = source;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          item.appendChild(link);
        } else {
          item.textContent = source;
        }
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    return box;
  }

  function openPopup(state, point) {
    var url = state.options.incidentUrl + "?id=" + encodeURIComponent(point[1]);
    fetchJSON(url).then(function (row) {
      L.popup({ maxWidth: state.options.popupWidth }).setLatLng([point[2], point[3]])
        .setContent(popupNode(state, row)).openOn(state.map);
    }).catch(function () { /* the incident is gone: nothing to show */ });
  }

  function draw(state, answer, zoom) {
    var map = state.map, o = state.options, layer = state.layer;
    layer.clearLayers();
    var clusters = 0, points = 0;
    if (answer.kind === "cells") {
      answer.rows.forEach(function (cell) {
        var marker = L.marker([cell[0], cell[1]], { icon: clusterIcon(cell[2]),
                                                    keyboard: false,
                                                    title: cell[2] + " incidents" });
        marker.on("click", function () {
          var south = cell[3], west = cell[4], north = cell[5], east = cell[6];
          if (north - south < 1e-6 && east - west < 1e-6) {
            map.setView([cell[0], cell[1]], Math.min(18, zoom + 3));
          } else {
            map.fitBounds([[south, west], [north, east]], { maxZoom: Math.min(18, zoom + 4) });
          }
        });
        layer.addLayer(marker);
        clusters += 1;
      });
    } else {
      answer.rows.forEach(function (point) {
        var typeIndex = o.types.indexOf(point[4]);
        var colour = typeIndex >= 0 ? o.colours[typeIndex] : "#777777";
        var circle = L.circleMarker([point[2], point[3]], {
          radius: 6, color: "#1a1a1a", weight: 1, fillColor: colour, fillOpacity: 0.9,
          renderer: state.renderer });
        circle.bindTooltip(point[6] + " (" + point[7] + ")", { sticky: true });
        if (!o.inline) { circle.on("click", function () { openPopup(state, point); }); }
        layer.addLayer(circle);
        points += 1;
      });
    }
    var box = map.getContainer();
    box.setAttribute("data-im-engine", answer.kind);
    box.setAttribute("data-im-clusters", String(clusters));
    box.setAttribute("data-im-points", String(points));
    box.setAttribute("data-im-visible", String(answer.total));
    box.setAttribute("data-im-zoom", String(zoom));
    box.setAttribute("data-im-scale", "drawn");
  }

  function refresh(state) {
    if (state.query === null) { return; }
    var map = state.map, bounds = map.getBounds(), zoom = Math.round(map.getZoom());
    if (state.options.inline) {  // a picture or a file: the view's answer travels with it
      if (!state.drawnInline) { state.drawnInline = true; draw(state, state.options.inline, zoom); }
      return;
    }
    var pad = function (v) { return v.toFixed(3); };
    var box = [Math.max(-90, bounds.getSouth()), bounds.getWest(),
               Math.min(90, bounds.getNorth()), bounds.getEast()];
    var url = state.options.viewUrl + "?" + (state.query ? state.query + "&" : "") +
      "bbox=" + box.map(pad).join(",") + "&z=" + zoom;
    if (url === state.lastUrl) { return; }
    state.lastUrl = url;
    var ticket = ++state.ticket;
    map.getContainer().setAttribute("data-im-scale", "loading");
    fetchJSON(url).then(function (answer) {
      if (ticket === state.ticket) { draw(state, answer, zoom); }
    }).catch(function () {
      if (ticket === state.ticket) {
        map.getContainer().setAttribute("data-im-scale", "failed");
        state.lastUrl = null;
      }
    });
  }

  window.IncidentEngine = {
    create: function (map, options) {
      var state = { map: map, options: options, layer: L.layerGroup().addTo(map),
                    renderer: L.canvas({ padding: 0.2 }), query: null, ticket: 0,
                    lastUrl: null, fitted: false };
      map._imEngine = state;
      if (options.inline) { map.incidentScale = state; }  // an export waits for the drawing
      map.on("moveend", function () { refresh(state); });
      return state;
    },
    /* A filter change (or the first filter): fit the passing incidents, or open at the
     * view given, then ask for the view. */
    filter: function (map, filter) {
      var state = map._imEngine;
      if (!state) { return; }
      var changed = state.query !== filter.query;
      state.query = filter.query;
      if (!state.fitted && filter.at) {
        map.setView([filter.at[0], filter.at[1]], filter.at[2], { animate: false });
      } else if (changed && filter.bounds) {
        map.fitBounds(filter.bounds, { maxZoom: state.options.maxFitZoom, animate: false });
      }
      state.fitted = true;
      state.lastUrl = null;
      refresh(state);
    }
  };
})();
