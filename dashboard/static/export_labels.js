/* Labels for the symbols of a PNG export: a greedy placer that never lets two overlap.
 *
 * `window.incidentExportLabels` holds [{lat, lon, text, count}], most important first.
 * `window.incidentPlaceLabels(map)` (called by the export page once the map has its final
 * view) measures each label and tries positions beside its symbol; the first position that
 * stays inside the map and covers no placed label, no symbol and no map control wins, and a
 * label with no such position is dropped. Text is set with textContent, never as HTML.
 */
(function () {
  var GAP = 3, MARGIN = 4;
  function overlaps(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  function box(left, top, width, height) {
    return { left: left, top: top, right: left + width, bottom: top + height };
  }
  window.incidentPlaceLabels = function (map) {
    var entries = window.incidentExportLabels || [];
    var container = map.getContainer();
    var size = map.getSize();
    var origin = container.getBoundingClientRect();
    var blocked = [];
    container.querySelectorAll(".leaflet-control").forEach(function (control) {
      var r = control.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) {
        blocked.push(box(r.left - origin.left - MARGIN, r.top - origin.top - MARGIN,
                         r.width + 2 * MARGIN, r.height + 2 * MARGIN));
      }
    });
    // Every symbol, from the incident data (its screen position at the final view, even
    // while a zoom animation still moves the icons): a label never hides one.
    var symbols = [];
    var d = map.incidentMap && map.incidentMap.data;
    if (d) {
      for (var k = 0; k < d.lat.length; k++) {
        var q = map.latLngToContainerPoint([d.lat[k], d.lon[k]]);
        var rk = d.r[k] + 1;
        if (q.x + rk >= 0 && q.y + rk >= 0 && q.x - rk <= size.x && q.y - rk <= size.y) {
          symbols.push(box(q.x - rk, q.y - rk, 2 * rk, 2 * rk));
        }
      }
    }
    var placed = [];
    entries.forEach(function (entry) {
      var p = map.latLngToContainerPoint([entry.lat, entry.lon]);
      if (p.x < 0 || p.y < 0 || p.x > size.x || p.y > size.y) { return; }
      var label = document.createElement("div");
      label.className = "export-label";
      label.textContent = entry.text;
      container.appendChild(label);
      var w = label.offsetWidth, h = label.offsetHeight;
      var own = symbols.filter(function (s) {
        return s.left <= p.x && p.x <= s.right && s.top <= p.y && p.y <= s.bottom;
      });
      var r = own.length ? Math.max.apply(null, own.map(function (s) {
        return (s.right - s.left) / 2;
      })) : 6;
      var d = r + GAP;
      var candidates = [
        box(p.x + d, p.y - h / 2, w, h), box(p.x - d - w, p.y - h / 2, w, h),
        box(p.x - w / 2, p.y - d - h, w, h), box(p.x - w / 2, p.y + d, w, h),
        box(p.x + d * 0.7, p.y - d * 0.7 - h, w, h), box(p.x + d * 0.7, p.y + d * 0.7, w, h),
        box(p.x - d * 0.7 - w, p.y - d * 0.7 - h, w, h), box(p.x - d * 0.7 - w, p.y + d * 0.7, w, h),
      ];
      var chosen = null;
      for (var i = 0; i < candidates.length && !chosen; i++) {
        var c = candidates[i];
        if (c.left < MARGIN || c.top < MARGIN || c.right > size.x - MARGIN ||
            c.bottom > size.y - MARGIN) { continue; }
        var hit = placed.some(function (o) { return overlaps(c, o); }) ||
                  blocked.some(function (o) { return overlaps(c, o); }) ||
                  symbols.some(function (o) { return overlaps(c, o); });
        if (!hit) { chosen = c; }
      }
      if (!chosen) { container.removeChild(label); return; }
      label.style.left = chosen.left + "px";
      label.style.top = chosen.top + "px";
      placed.push(box(chosen.left - 1, chosen.top - 1, w + 2, h + 2));
    });
    return placed.length;
  };
})();
