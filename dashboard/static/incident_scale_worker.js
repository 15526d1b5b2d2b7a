/* Incident Map, large datasets: the full cluster index, built and asked off the page's
 * thread (see ScaleLayer.buildDeep in incident_scale.js).
 *
 * Messages in: {type: "load", generation, coords (Float32Array, lon/lat pairs), rows
 * (Int32Array, each point's row), settings (supercluster's options), supercluster (its
 * URL, same origin)}; {type: "clusters", id, generation, box, zoom}; {type: "expansion", id,
 * generation, cluster}. Out: {type: "ready", generation} once indexed, and {id, generation,
 * result} for each question. Only numbers travel: no text of the dataset reaches here.
 */
"use strict";

var index = null;
var generation = null;

self.onmessage = function (event) {
  var message = event.data;
  if (message.type === "load") {
    if (typeof Supercluster === "undefined") { importScripts(message.supercluster); }
    var coords = message.coords, rows = message.rows, points = new Array(rows.length);
    for (var k = 0; k < rows.length; k++) {
      points[k] = { type: "Feature", properties: { i: rows[k] },
                    geometry: { type: "Point", coordinates: [coords[2 * k], coords[2 * k + 1]] } };
    }
    index = new Supercluster(message.settings);
    index.load(points);
    generation = message.generation;
    self.postMessage({ type: "ready", generation: generation });
    return;
  }
  if (index === null || message.generation !== generation) { return; }
  var result = message.type === "clusters" ? index.getClusters(message.box, message.zoom)
    : index.getClusterExpansionZoom(message.cluster);
  self.postMessage({ id: message.id, generation: generation, result: result });
};
