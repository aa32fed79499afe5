/* Live "next dose due" countdowns. The server enforces the wait; this only shows it, without reloads.
   Markup: <span class="countdown" data-due="ISO-8601"> ; the server's clock is in <body data-server-now>. */
(function () {
  "use strict";
  var serverNow = Date.parse(document.body.getAttribute("data-server-now") || "");
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function text(ms) {
    var s = Math.ceil(ms / 1000);
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    if (d > 0) { return d + " d " + h + " h " + pad(m) + " min"; }
    if (h > 0) { return h + ":" + pad(m) + ":" + pad(s); }
    return m + ":" + pad(s);
  }

  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { return; }
      var left = due - now;
      var box = el.closest("[data-countdown-box]");
      if (left <= 0) {
        el.textContent = el.getAttribute("data-due-text") || "Due now";
        el.classList.add("due");
        if (box) { box.classList.add("is-due"); }
      } else {
        el.textContent = text(left);
        el.classList.remove("due");
        if (box) { box.classList.remove("is-due"); }
      }
    });
  }
  tick();
  window.setInterval(tick, 1000);
}());
