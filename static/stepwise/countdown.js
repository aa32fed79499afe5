/* Live countdowns, worded as clinical/countdown.py words them: "19 min 25 s left", "Due now", "overdue 4 min"
   (amber), "overdue 25 min" (red past the threshold). Never a bare "19:25" that reads as a clock time.
   The server enforces the wait; this only shows it, without reloads.
   Markup (the `countdown` template tag): <span class="countdown" data-due="ISO-8601" data-due-now-seconds="60"
   data-red-after-seconds="600" [data-due-text="Observation complete"]>; the server's clock is in
   <body data-server-now>. Elements replaced later (the board's refresh) are picked up at the next tick. */
(function () {
  "use strict";
  var serverNow = Date.parse(document.body.getAttribute("data-server-now") || "");
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();
  var STATES = ["is-waiting", "is-due", "is-overdue", "is-late"];

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  /* The two largest units that matter, as clinical.countdown._span. */
  function span(totalSeconds) {
    var s = totalSeconds;
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    if (d > 0) { return d + (d === 1 ? " day " : " days ") + h + " h"; }
    if (h > 0) { return h + " h " + pad(m) + " min"; }
    if (m > 0) { return s > 0 ? m + " min " + pad(s) + " s" : m + " min"; }
    return s + " s";
  }

  function number(el, name, fallback) {
    var value = parseInt(el.getAttribute(name), 10);
    return isNaN(value) ? fallback : value;
  }

  function show(el, state, text) {
    if (el.textContent !== text) { el.textContent = text; }
    var box = el.closest("[data-countdown-box]");
    [el, box].forEach(function (node) {
      if (!node) { return; }
      STATES.forEach(function (name) { node.classList.toggle(name, name === "is-" + state); });
    });
  }

  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) { return; }
      var left = due - now;
      if (left > 0) {
        show(el, "waiting", span(Math.ceil(left / 1000)) + " left");
        return;
      }
      var done = el.getAttribute("data-due-text");
      if (done) { show(el, "due", done); return; }
      var over = -left;  // ms past the due time
      if (over < number(el, "data-due-now-seconds", 60) * 1000) { show(el, "due", "Due now"); return; }
      var late = over > number(el, "data-red-after-seconds", 600) * 1000;
      show(el, late ? "late" : "overdue", "overdue " + span(Math.floor(over / 60000) * 60));
    });
  }

  // forms.js may write a new page into this window: one ticking timer, not one more per page.
  if (window.stepwiseCountdownTimer) { window.clearInterval(window.stepwiseCountdownTimer); }
  tick();
  window.stepwiseCountdownTimer = window.setInterval(tick, 1000);
}());
