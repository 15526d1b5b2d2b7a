/* Incident Map: every incident reachable, by pointer and by keyboard.
 *
 * - A click on a symbol that shares its spot with others (the same point, or circles that
 *   overlap under the pointer) opens one popup listing all of them, smallest symbol first;
 *   each entry opens that incident's own popup. A click on a lone symbol opens its popup.
 * - Symbols are not tab stops: the map is one. Inside it, Enter (or Space) lists the
 *   incidents in view, nearest the centre first, as buttons; N and P step to the next or
 *   previous incident in view and open it.
 * - Each symbol has an accessible name: its title and date.
 *
 * incident_map.js calls IncidentSpread.attach(manager, marker) for each marker it makes.
 * Texts come escaped from Python (dashboard/maps/mapping.py) and are used as they are.
 */
(function () {
  "use strict";
  if (window.IncidentSpread) { return; }

  var LIST_LIMIT = 400;  // the list scrolls; a longer one says to zoom in
  var STYLE = [
    ".incident-stack{font:13px/1.35 system-ui,sans-serif;color:#222;}",
    ".incident-stack .is-heading{font-weight:700;margin-bottom:4px;}",
    ".incident-stack ul{list-style:none;margin:0;padding:0;max-height:260px;overflow-y:auto;}",
    ".incident-stack button{display:flex;gap:8px;align-items:flex-start;width:100%;",
    "text-align:left;background:none;border:0;border-top:1px solid #e3e3e3;padding:5px 2px;",
    "font:inherit;color:inherit;cursor:pointer;}",
    ".incident-stack button:hover{background:#f1f4f8;}",
    ".incident-stack button:focus-visible{outline:2px solid #0b57d0;outline-offset:-2px;}",
    ".incident-stack .is-swatch{width:14px;height:14px;flex:none;margin-top:2px;}",
    ".incident-stack .is-title{display:block;font-weight:600;}",
    ".incident-stack .is-meta{display:block;color:#555;font-size:12px;}",
    ".incident-stack .is-more{color:#555;font-size:12px;margin-top:4px;}",
  ].join("");
  (function addStyle() {
    var style = document.createElement("style");
    style.textContent = STYLE;
    document.head.appendChild(style);
  })();
  var SLOP_PX = 3;  // a click this close to a symbol's edge still counts as on it

  function plainText(html) {
    var box = document.createElement("div");
    box.innerHTML = html;
    return box.textContent || "";
  }

  function visibleMarkers(manager) {
    var map = manager.map, out = [];
    manager.layers.forEach(function (layer) {
      if (!layer.items || !map.hasLayer(layer) || layer.kind === "clusters") { return; }
      layer.items.forEach(function (item, k) {
        if (item.layer instanceof L.Marker && layer.shown[k]) { out.push(item.layer); }
      });
    });
    return out;
  }

  /* Markers whose symbol contains the container point (the clicked one always included). */
  function markersAt(manager, point, clicked) {
    var map = manager.map, d = manager.data, hits = [clicked];
    visibleMarkers(manager).forEach(function (marker) {
      if (marker === clicked || !marker._map) { return; }
      var r = d.r[marker.incidentIndex] + SLOP_PX;
      if (map.latLngToContainerPoint(marker.getLatLng()).distanceTo(point) <= r) {
        hits.push(marker);
      }
    });
    hits.sort(function (a, b) {
      return d.r[a.incidentIndex] - d.r[b.incidentIndex] || a.incidentIndex - b.incidentIndex;
    });
    return hits;
  }

  function itemHtml(d, i) {
    var type = d.type[i];
    return '<li><button type="button" class="is-item" data-index="' + i + '">' +
      '<span class="is-swatch im-symbol im-t-' + d.types[type] + " im-a-" + d.attrs[d.attr[i]] +
      '"></span><span class="is-text"><span class="is-title">' + d.title[i] +
      '</span><span class="is-meta">' + d.typeLabels[type] + " \u00b7 " + d.dates[d.date[i]] +
      "</span></span></button></li>";
  }

  function listHtml(d, indexes, heading) {
    var shown = indexes.slice(0, LIST_LIMIT);
    var more = indexes.length - shown.length;
    return '<div class="incident-stack"><div class="is-heading">' + heading + "</div><ul>" +
      shown.map(function (i) { return itemHtml(d, i); }).join("") + "</ul>" +
      (more > 0 ? '<div class="is-more">and ' + more + " more: zoom in to see them</div>" : "") +
      "</div>";
  }

  function openIncident(manager, index) {
    var marker = null;
    manager.layers.some(function (layer) {
      if (!manager.map.hasLayer(layer) || layer.kind === "clusters") { return false; }
      marker = layer.findMarker(index);
      return marker !== null;
    });
    if (marker && marker._map) {
      marker.openPopup();
    } else {
      var d = manager.data;
      L.popup({ maxWidth: manager.options.popupWidth, className: "incident-popup-wrapper" })
        .setLatLng([d.lat[index], d.lon[index]])
        .setContent(window.IncidentMap.popupHtml(d, index)).openOn(manager.map);
    }
  }

  function openList(manager, latlng, indexes, heading) {
    var map = manager.map;
    var popup = L.popup({ maxWidth: manager.options.popupWidth, minWidth: 220,
                          className: "incident-stack-wrapper" })
      .setLatLng(latlng).setContent(listHtml(manager.data, indexes, heading));
    popup.once("add", function () {
      var box = popup.getElement();
      if (!box) { return; }
      var buttons = box.querySelectorAll("button.is-item");
      Array.prototype.forEach.call(buttons, function (button) {
        L.DomEvent.on(button, "click", function (event) {
          L.DomEvent.stop(event);
          map.closePopup(popup);
          openIncident(manager, parseInt(button.getAttribute("data-index"), 10));
        });
      });
      if (buttons.length && manager.keyboardOpened) { buttons[0].focus(); }
      manager.keyboardOpened = false;
    });
    popup.openOn(map);
    return popup;
  }

  function onClick(event) {
    var marker = event.target, manager = marker.incidentManager;
    L.DomEvent.stop(event);
    var point = event.containerPoint ||
      manager.map.latLngToContainerPoint(marker.getLatLng());
    var hits = markersAt(manager, point, marker);
    if (hits.length < 2) { marker.openPopup(); return; }
    openList(manager, marker.getLatLng(), hits.map(function (m) { return m.incidentIndex; }),
             hits.length + " incidents here");
  }

  function name(d, i) {
    return plainText(d.title[i]) + ", " + plainText(d.dates[d.date[i]]);
  }

  /* Called for every marker incident_map.js makes (before it is on the map). */
  function attach(manager, marker) {
    marker.incidentManager = manager;
    // bindPopup opened the popup on click; this handler decides between it and the list.
    marker.off("click", marker._openPopup, marker);
    marker.on("click", onClick);
    marker.on("add", function () {
      var icon = marker.getElement();
      if (!icon) { return; }
      icon.setAttribute("role", "img");
      icon.setAttribute("aria-label", name(manager.data, marker.incidentIndex));
      icon.removeAttribute("tabindex");
    });
  }

  /* The map container is the one tab stop: Enter lists what is in view, N/P step. */
  function inView(manager) {
    var map = manager.map, bounds = map.getBounds(), centre = map.getCenter();
    var d = manager.data, seen = {}, out = [];
    visibleMarkers(manager).forEach(function (marker) {
      var i = marker.incidentIndex;
      if (seen[i] || !bounds.contains(marker.getLatLng())) { return; }
      seen[i] = true;
      out.push(i);
    });
    out.sort(function (a, b) {
      return centre.distanceTo([d.lat[a], d.lon[a]]) - centre.distanceTo([d.lat[b], d.lon[b]]);
    });
    return out;
  }

  function keyboard(manager) {
    var map = manager.map, container = map.getContainer(), step = -1;
    // Once per map: the page may replace the map's incidents in place (a new manager), and
    // the keys then act on the current one.
    if (container.__incidentKeys) { return; }
    container.__incidentKeys = true;
    container.setAttribute("aria-label", "Incident map. Enter lists the incidents in view; " +
      "N and P step through them; arrow keys pan; plus and minus zoom.");
    container.setAttribute("aria-roledescription", "map");
    L.DomEvent.on(container, "keydown", function (event) {
      if (event.target !== container || event.altKey || event.ctrlKey || event.metaKey) {
        return;
      }
      var key = event.key;
      manager = map.incidentMap || manager;
      if (key === "Enter" || key === " ") {
        var indexes = inView(manager);
        if (!indexes.length) { return; }
        L.DomEvent.preventDefault(event);
        manager.keyboardOpened = true;
        openList(manager, map.getCenter(), indexes,
                 indexes.length + (indexes.length === 1 ? " incident" : " incidents") +
                 " in view");
      } else if (key === "n" || key === "N" || key === "p" || key === "P") {
        var order = inView(manager);
        if (!order.length) { return; }
        L.DomEvent.preventDefault(event);
        step = (step + ((key === "n" || key === "N") ? 1 : order.length - 1)) % order.length;
        openIncident(manager, order[step]);
      }
    });
  }

  window.IncidentSpread = { attach: attach, keyboard: keyboard, markersAt: markersAt };
})();
