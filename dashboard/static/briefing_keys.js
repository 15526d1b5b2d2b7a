/* Briefing mode: a presenter's clicker and the keyboard step the briefing, and the map fills
 * the screen's height. Runs in a same-origin component frame and acts on the page around it.
 *
 * ArrowRight, PageDown, Space: next step; ArrowLeft, PageUp: previous; Home: the title (or
 * first) step; End: the last. Clickers send PageDown/PageUp or the arrow keys. The keys press
 * the page's own buttons (Streamlit gives each a "st-key-<key>" class), so every path runs the
 * same code. Keys typed into a field are left alone.
 */
(function () {
  var doc = window.parent.document;
  var win = window.parent;
  var KEYS = {
    ArrowRight: "brief_next", PageDown: "brief_next", " ": "brief_next",
    ArrowLeft: "brief_prev", PageUp: "brief_prev",
    Home: "brief_first", End: "brief_last",
  };
  function press(key) {
    var button = doc.querySelector(".st-key-" + key + " button");
    if (button && !button.disabled) { button.click(); return true; }
    return false;
  }
  function onKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) { return; }
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" ||
        (target && target.isContentEditable)) { return; }
    var key = KEYS[event.key];
    if (!key) { return; }
    event.preventDefault();
    press(key);
  }
  /* In the map's frame: no layer menu for an audience, and a place label that wraps. */
  function style(inner) {
    if (!inner.head || inner.getElementById("incident-briefing-style")) { return; }
    var css = inner.createElement("style");
    css.id = "incident-briefing-style";
    css.textContent = ".leaflet-control-layers { display: none !important; }" +
      ".incident-focus-label { white-space: normal; max-width: 40vw; width: max-content;" +
      " font-size: 15px; }" +
      "@media (max-width: 500px) { .incident-focus-label { max-width: 30vw; font-size: 13px; } }";
    inner.head.appendChild(css);
  }
  /* Fill the window's height: the map's frame from its top to the bottom of the window. */
  function fit() {
    var frames = doc.querySelectorAll('iframe[title="streamlit_folium.st_folium"]');
    Array.prototype.forEach.call(frames, function (frame) {
      var top = frame.getBoundingClientRect().top + win.scrollY;
      var narrow = win.innerWidth < 700;
      var height = narrow ? Math.round(win.innerHeight * 0.55)
                          : Math.max(320, Math.round(win.innerHeight - top - 16));
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
  if (win.__incidentBriefingKeys) { doc.removeEventListener("keydown", win.__incidentBriefingKeys); }
  win.__incidentBriefingKeys = onKey;
  doc.addEventListener("keydown", onKey);
  if (win.__incidentBriefingFit) { clearInterval(win.__incidentBriefingFit); }
  win.__incidentBriefingFit = setInterval(fit, 300);
  win.addEventListener("resize", fit);
  fit();
})();
