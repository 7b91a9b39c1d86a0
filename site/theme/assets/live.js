// Live reload for `multistage dev`. Loaded only in dev mode: never in serve
// output or the export.
//
// It listens to the server's event stream (data-live, a URL relative to the
// page, so it works on any port, behind `docker run -p`, and under a reverse
// proxy's sub-path) and:
//   - reloads the page when its own HTML changed (or everything did), keeping
//     the scroll position, then marks the first block that changed and scrolls
//     to it if it is out of view;
//   - swaps the stylesheet in place when only CSS changed;
//   - shows an overlay (file:line, the lines around it, the message) when the
//     build fails, and drops it at the next successful build;
//   - reconnects when the server goes away, and reloads once it is back.
// No inline styles or scripts: the site's Content-Security-Policy forbids
// them, so the overlay is styled by classes from /_live.css.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.EventSource) return;
  var liveURL = new URL(script.getAttribute("data-live"), location.href);
  var root = new URL("./", liveURL); // the stream sits at the site root
  var page = script.getAttribute("data-page") || "";
  var KEY = "multistage-live";
  var boot = null, gen = 0, es = null, overlay = null, backoff = 500, userScrolled = false;

  var sheet = document.createElement("link");
  sheet.rel = "stylesheet";
  sheet.href = new URL("_live.css", root).href;
  document.head.appendChild(sheet);

  // --- keeping the place across a reload ---------------------------------

  function blocks() {
    var main = document.querySelector("main") || document.body;
    return main.querySelectorAll("h1,h2,h3,h4,h5,h6,p,pre,li,dt,dd,tr,blockquote,figcaption,img,svg");
  }
  // FNV-1a: a short signature per block, so a page's state fits anywhere.
  function sig(el) {
    var s = el.textContent + "\u0000" + (el.getAttribute("src") || "");
    var h = 0x811c9dc5;
    for (var i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(36);
  }
  function save() {
    try {
      sessionStorage.setItem(KEY, JSON.stringify({
        path: location.pathname, x: window.scrollX, y: window.scrollY,
        sigs: Array.prototype.map.call(blocks(), sig)
      }));
    } catch (e) { /* storage may be off: the page just reloads */ }
  }
  // The browser's own scroll restoration would run after ours, at load, and
  // put the reader back where they were even when the change is elsewhere:
  // it stays "manual" for reloads made here, "auto" for the reader's own.
  var reloading = false;
  function reload() {
    save();
    reloading = true;
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    location.reload();
  }
  window.addEventListener("pagehide", function () {
    if (!reloading && "scrollRestoration" in history) history.scrollRestoration = "auto";
  });
  function restore() {
    var st = null;
    try {
      st = JSON.parse(sessionStorage.getItem(KEY) || "null");
      sessionStorage.removeItem(KEY);
    } catch (e) { return; }
    if (!st || st.path !== location.pathname) return;
    // "instant": the site's smooth scrolling would otherwise animate from
    // the top on every reload.
    window.scrollTo({ left: st.x, top: st.y, behavior: "instant" });
    var bs = blocks(), i = 0;
    while (i < bs.length && i < st.sigs.length && sig(bs[i]) === st.sigs[i]) i++;
    if (i === bs.length && i === st.sigs.length) return; // the change is not in the text
    var el = bs[Math.min(i, bs.length - 1)];
    if (!el) return;
    el.classList.add("live-changed");
    setTimeout(function () { el.classList.remove("live-changed"); }, 2500);
    var r = el.getBoundingClientRect();
    if (r.bottom < 0 || r.top > window.innerHeight) el.scrollIntoView({ block: "center", behavior: "instant" });
    // Late layout (fonts, images) can move things: hold the place once more
    // on load unless the reader has scrolled meanwhile.
    var y = window.scrollY;
    window.addEventListener("load", function () {
      if (!userScrolled && Math.abs(window.scrollY - y) > 2) window.scrollTo({ left: window.scrollX, top: y, behavior: "instant" });
    }, { once: true });
  }
  ["wheel", "touchstart", "keydown"].forEach(function (t) {
    window.addEventListener(t, function () { userScrolled = true; }, { once: true, passive: true });
  });
  restore();

  // --- events --------------------------------------------------------------

  function showsAsset(a) {
    var u = new URL(a, root).href;
    return Array.prototype.some.call(document.images, function (img) { return img.src === u; });
  }
  function swapCSS(href) {
    var url = new URL(href, root).href;
    var old = Array.prototype.filter.call(document.querySelectorAll('link[rel="stylesheet"]'), function (l) {
      return /\/assets\/site\.[^/]*\.css$/.test(new URL(l.href).pathname);
    });
    if (!old.length) { reload(); return; }
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = url;
    // Drop the old sheet only once the new one applies: no unstyled flash.
    link.addEventListener("load", function () { old.forEach(function (l) { l.remove(); }); });
    old[old.length - 1].after(link);
  }
  function onReload(d) {
    if (d.gen) gen = d.gen;
    clearOverlay();
    var mine = d.all || (d.pages || []).indexOf(page) >= 0 || (page === "" && (d.pages || []).length > 0);
    if (!mine && d.assets) mine = d.assets.some(showsAsset);
    if (mine) { reload(); return; }
    if (d.css) swapCSS(d.css);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function clearOverlay() {
    if (overlay) { overlay.remove(); overlay = null; }
  }
  function showError(d) {
    clearOverlay();
    overlay = el("div", "live-overlay");
    overlay.setAttribute("role", "alert");
    overlay.setAttribute("aria-labelledby", "live-overlay-title");
    var h = el("h2", null, "The site did not build");
    h.id = "live-overlay-title";
    overlay.appendChild(h);
    overlay.appendChild(el("p", "live-note", "This page shows the last version that built. Fix the problem and save: the page updates by itself."));
    var close = el("button", "live-close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss the build error");
    close.addEventListener("click", clearOverlay);
    overlay.appendChild(close);
    var items = d.errors && d.errors.length ? d.errors : [{ msg: d.message }];
    items.forEach(function (it) {
      if (it.file) overlay.appendChild(el("p", "live-where", it.file + (it.line ? ":" + it.line : "")));
      overlay.appendChild(el("p", "live-msg", it.msg));
      if (it.context && it.context.length) {
        var pre = el("pre", "live-context");
        it.context.forEach(function (l) {
          var line = el("span", "live-line" + (l.at ? " live-at" : ""));
          line.appendChild(el("span", "live-n", String(l.n)));
          line.appendChild(document.createTextNode(l.text));
          pre.appendChild(line);
        });
        overlay.appendChild(pre);
      }
    });
    document.body.appendChild(overlay);
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && overlay) clearOverlay();
  });

  function connect() {
    es = new EventSource(liveURL.href);
    es.addEventListener("hello", function (e) {
      var d = JSON.parse(e.data);
      backoff = 500;
      // A new boot id: the server restarted. A higher count: rebuilds
      // happened while the stream was down. Either way this page is stale.
      if (boot !== null && (d.boot !== boot || d.gen > gen)) { reload(); return; }
      boot = d.boot;
      gen = d.gen;
      // Marks the page as connected (tests wait for it before restarting
      // the server, since a page that never heard the first server cannot
      // tell the second one apart).
      document.documentElement.setAttribute("data-live", "connected");
    });
    es.addEventListener("reload", function (e) { onReload(JSON.parse(e.data)); });
    es.addEventListener("error", function (e) {
      if (e.data) { showError(JSON.parse(e.data)); return; } // the server's "error" event
      // The connection's own error. The browser retries by itself while the
      // stream is CONNECTING; once it gives up (CLOSED), start again later.
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    });
  }
  connect();
})();
