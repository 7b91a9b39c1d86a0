// Live reload for `multistage dev`. Loaded only in dev mode.
(function () {
  "use strict";
  var s = document.currentScript;
  var url = s.getAttribute("data-live");
  var es = new EventSource(url);
  es.addEventListener("reload", function () { location.reload(); });
})();
