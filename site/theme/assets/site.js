// multistage page script: progressive enhancement only. Every page reads in
// full without it. It adds copy buttons to code blocks, fills the demo panel
// from /app/about, and makes folder links work when the exported site is
// opened straight from the file system.
(function () {
  "use strict";

  function codeText(pre) {
    var lines = pre.querySelectorAll(".cl");
    if (lines.length) {
      return Array.prototype.map.call(lines, function (l) { return l.textContent; }).join("");
    }
    return pre.textContent;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (ok, fail) {
      var ta = document.createElement("textarea");
      ta.value = text;
      ta.setAttribute("readonly", "");
      ta.className = "copy-buffer";
      document.body.appendChild(ta);
      ta.select();
      try { document.execCommand("copy") ? ok() : fail(); } catch (e) { fail(e); }
      document.body.removeChild(ta);
    });
  }

  function initCopy() {
    document.querySelectorAll("figure.code").forEach(function (fig) {
      var btn = fig.querySelector("button.copy"), pre = fig.querySelector("pre");
      if (!btn || !pre) return;
      btn.hidden = false;
      btn.setAttribute("aria-label", "Copy code to clipboard");
      btn.addEventListener("click", function () {
        copy(codeText(pre)).then(function () { flash(btn, "Copied"); }, function () { flash(btn, "Press Ctrl+C"); });
      });
    });
  }

  function flash(btn, msg) {
    btn.textContent = msg;
    clearTimeout(btn._t);
    btn._t = setTimeout(function () { btn.textContent = "Copy"; }, 1600);
  }

  function mb(n) {
    if (n >= 1e9) return (n / 1e9).toFixed(2) + " GB";
    return (n / 1e6).toFixed(n < 1e7 ? 2 : 1) + " MB";
  }

  function initDemo() {
    document.querySelectorAll(".demo[data-about]").forEach(function (panel) {
      var set = function (k, v) {
        var el = panel.querySelector('[data-field="' + k + '"]');
        if (el) el.textContent = v;
      };
      if (location.protocol === "file:") {
        panel.classList.add("demo-offline");
        set("note", "Opened from the file system: the demo app runs only in the multistage binary or image.");
        return;
      }
      var tries = 0;
      var load = function () {
        fetch(panel.getAttribute("data-about"), { headers: { Accept: "application/json" } })
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
          .then(function (a) {
            if (a.rootfs_pending && tries++ < 10) {
              // The server is still counting a large file system: ask again.
              panel.querySelector(".demo-rootfs").hidden = false;
              set("rootfs", "still counting…");
              setTimeout(load, 1500);
            }
            set("variant", a.variant);
            set("go", a.go);
            set("binary", a.binary_bytes ? mb(a.binary_bytes) : "unknown");
            set("container", a.container ? "yes" : "no, a process on the host");
            if (a.container && a.rootfs_files) {
              panel.querySelector(".demo-rootfs").hidden = false;
              // A walk cut short by its time or file bound counted a part.
              set("rootfs", (a.rootfs_truncated ? "at least " : "") +
                a.rootfs_files.toLocaleString("en") + " files, " + mb(a.rootfs_bytes));
            }
            var story;
            if (a.variant === "multistage" && a.container) {
              story = "You are reading this from the multistage image: its whole file system is the one binary, plus the few empty files Docker adds to every container.";
            } else if (a.variant === "normal" && a.container) {
              story = "You are reading this from the normal image: the whole Go toolchain ships beside the binary.";
            } else {
              story = "You are reading this from a " + a.variant + " build of the binary" +
                (a.container ? ", inside a container." : ", running directly on a machine.");
            }
            set("note", story + " Live from /app/about.");
            panel.classList.add("demo-live");
          })
          .catch(function () {
            panel.classList.add("demo-offline");
            set("note", "The demo app did not answer: this copy of the site is static. Run the multistage binary or image to see it live.");
          });
      };
      load();
    });
  }

  // A static export opened from disk has no server to map "page/" to
  // "page/index.html"; point folder links at the file instead.
  function initFileLinks() {
    if (location.protocol !== "file:") return;
    document.querySelectorAll("a[href]").forEach(function (a) {
      var h = a.getAttribute("href");
      if (/^[a-z]+:|^\/\//i.test(h)) return;
      var m = h.match(/^([^#?]*\/)([?#].*)?$/);
      if (m) a.setAttribute("href", m[1] + "index.html" + (m[2] || ""));
    });
  }

  function init() { initCopy(); initDemo(); initFileLinks(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
