/* Briefing mode: a presenter's clicker and the keyboard step the briefing, and the map fills
 * the screen's height. Runs in a same-origin frame and acts on the page around it.
 *
 * ArrowRight, PageDown, Space: next step; ArrowLeft, PageUp: previous; Home: the title (or
 * first) step; End: the last; B (or "."): a black screen, any of these keys again to come
 * back. Clickers send PageDown/PageUp or the arrow keys, and B or "." for black. The keys work
 * whatever has focus: the page, the map's frame (after a click in the map or on a popup's
 * link) or any other same-origin frame of the page, each of which gets the same listener.
 * The keys press the page's own buttons (Streamlit gives each a "st-key-<key>" class), so
 * every path runs the same code. Keys typed into a field are left alone.
 */
(function () {
  var doc = window.parent.document;
  var win = window.parent;
  var KEYS = {
    ArrowRight: "brief_next", PageDown: "brief_next", " ": "brief_next",
    ArrowDown: "brief_next",
    ArrowLeft: "brief_prev", PageUp: "brief_prev", ArrowUp: "brief_prev",
    Home: "brief_first", End: "brief_last",
  };
  var BLACK = { b: true, B: true, ".": true };
  function press(key) {
    var button = doc.querySelector(".st-key-" + key + " button");
    if (button && !button.disabled) { button.click(); return true; }
    return false;
  }
  /* The map starts to fly to the step the key leads to at once: the page names each key's
   * frame (an element with data-frames, written by the page's run before the map) and the
   * map's own code flies there (IncidentMap.flyAhead); the run that then shows the step
   * brings the same frame, which the map does not fly to again. Frames written for another
   * step than the map shows (``here``: a key pressed again before the step came) are not
   * used: the run flies the map. */
  function flyAhead(key) {
    var holder = doc.querySelector(".im-step-frames");
    var frames = null;
    try { frames = JSON.parse(holder ? holder.getAttribute("data-frames") || "{}" : "{}"); }
    catch (error) { return; }
    var frame = frames && frames[key];
    if (!frame) { return; }
    var maps = doc.querySelectorAll('iframe[title="streamlit_folium.st_folium"]');
    Array.prototype.forEach.call(maps, function (element) {
      var view;
      try { view = element.contentWindow; } catch (error) { return; }
      if (!view || !view.IncidentMap || !view.IncidentMap.flyAhead || !view.map) { return; }
      if (JSON.stringify(frames.here || null) !== view.map._incidentFrameKey) { return; }
      view.IncidentMap.flyAhead(view.map, frame);
    });
  }
  function black(on) {
    var cover = doc.getElementById("im-black");
    if (on && !cover) {
      cover = doc.createElement("div");
      cover.id = "im-black";
      cover.setAttribute("aria-label", "Black screen: press B to come back");
      doc.body.appendChild(cover);
    } else if (!on && cover) {
      cover.remove();
    }
  }
  function onKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" ||
        (target && target.isContentEditable)) { return; }
    var covered = Boolean(doc.getElementById("im-black"));
    if (BLACK[event.key]) {
      event.preventDefault();
      event.stopPropagation();
      black(!covered);
      return;
    }
    var key = KEYS[event.key];
    if (!key) { return; }
    // Before the map's own keys (arrows pan it, Space lists its incidents): in front of a
    // room the clicker steps the briefing.
    event.preventDefault();
    event.stopPropagation();
    if (covered) { black(false); return; }  // the first key after black brings the slide back
    if (press(key)) { flyAhead(key); }
  }
  /* Listen in a frame's window too (capture: before Leaflet's handlers), once per document. */
  function listenIn(frame) {
    var view, inner;
    try { view = frame.contentWindow; inner = frame.contentDocument; } catch (error) { return; }
    if (!view || !inner || inner.__incidentBriefingKeys === onKey) { return; }
    if (inner.__incidentBriefingKeys) {
      view.removeEventListener("keydown", inner.__incidentBriefingKeys, true);
    }
    inner.__incidentBriefingKeys = onKey;
    view.addEventListener("keydown", onKey, true);
  }
  /* In the map's frame: no layer menu for an audience (the map's type is sized for a room
   * by the map itself: build_map's ``presenting``). */
  function style(inner) {
    if (!inner.head || inner.getElementById("incident-briefing-style")) { return; }
    var css = inner.createElement("style");
    css.id = "incident-briefing-style";
    css.textContent = ".leaflet-control-layers { display: none !important; }";
    inner.head.appendChild(css);
  }
  /* Fill the window's height: the map's frame from its top to the bottom of the window. */
  function fit() {
    Array.prototype.forEach.call(doc.querySelectorAll("iframe"), listenIn);
    var frames = doc.querySelectorAll('iframe[title="streamlit_folium.st_folium"]');
    Array.prototype.forEach.call(frames, function (frame) {
      var top = frame.getBoundingClientRect().top + win.scrollY;
      var narrow = win.innerWidth < 700;
      var height = narrow ? Math.round(win.innerHeight * 0.55)
                          : Math.max(320, Math.round(win.innerHeight - top - 12));
      if (Math.abs(frame.offsetHeight - height) >= 2) { frame.style.height = height + "px"; }
      var inner = frame.contentDocument;
      if (!inner) { return; }
      style(inner);
      // streamlit-folium draws the map in #map_div (window.map) at the height it was given.
      var box = inner.querySelector(".leaflet-container");
      if (!box || Math.abs(box.offsetHeight - height) < 2) { return; }
      box.style.height = height + "px";
      var map = frame.contentWindow.map;
      if (map && map.invalidateSize) { map.invalidateSize({ animate: false }); }
    });
  }
  // Replace the listener of an earlier run of this script (each rerun may load it again).
  if (win.__incidentBriefingKeys) { doc.removeEventListener("keydown", win.__incidentBriefingKeys, true); }
  win.__incidentBriefingKeys = onKey;
  doc.addEventListener("keydown", onKey, true);
  if (win.__incidentBriefingFit) { clearInterval(win.__incidentBriefingFit); }
  win.__incidentBriefingFit = setInterval(fit, 300);
  win.addEventListener("resize", fit);
  fit();
})();
