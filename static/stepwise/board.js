/* Today's board refreshes itself: every data-poll-seconds (read at each tick, so a test may shorten it) the counts
   and rows are fetched from data-board-poll (challenges:board_fragment) and put in place when they changed. A new
   alert is announced (attention.js). When the session has ended the board says so and links to the sign-in page,
   which brings the user back here. No reload, no CDN, no inline script (the CSP allows none). */
(function () {
  "use strict";
  var region = document.querySelector("[data-board-poll]");
  if (!region) { return; }
  var status = document.querySelector("[data-board-status]");
  var url = region.getAttribute("data-board-poll");
  var waited = 0;
  var busy = false;

  function seconds() {
    var value = parseFloat(region.getAttribute("data-poll-seconds"));
    return isNaN(value) || value <= 0 ? 30 : value;
  }

  function alertsIn(root) {
    var counts = root.querySelector("[data-alerts]");
    return counts ? parseInt(counts.getAttribute("data-alerts"), 10) || 0 : 0;
  }

  function say(text, link) {
    if (!status) { return; }
    status.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      status.appendChild(document.createTextNode(" "));
      status.appendChild(a);
    }
  }

  function signedOut() {
    var login = document.body.getAttribute("data-login-url") || "/accounts/login/";
    window.clearInterval(window.stepwiseBoardTimer);
    say("Signed out: this board has stopped refreshing.", {
      href: login + "?next=" + encodeURIComponent(window.location.pathname),
      text: "Sign in again"
    });
    if (window.stepwiseAnnounce) { window.stepwiseAnnounce("Signed out: the board has stopped refreshing."); }
  }

  function poll() {
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        var login = document.body.getAttribute("data-login-url");
        if (response.redirected && login && new URL(response.url).pathname === login) { signedOut(); return; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text().then(function (html) {
          var fresh = document.createElement("div");
          fresh.innerHTML = html;
          var before = alertsIn(region);
          if (fresh.innerHTML !== region.innerHTML) { region.innerHTML = fresh.innerHTML; }
          var time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
          say("Refreshed at " + time + "; it refreshes itself.");
          if (alertsIn(region) > before && window.stepwiseAnnounce) {
            window.stepwiseAnnounce("New alert on today's board.");
          }
        });
      })
      .catch(function () {
        say("Could not refresh the board (the connection failed); trying again.");
      })
      .then(function () { busy = false; });
  }

  function tick() {
    if (busy) { return; }
    waited += 1;
    if (waited >= seconds()) { waited = 0; poll(); }
  }

  if (window.stepwiseBoardTimer) { window.clearInterval(window.stepwiseBoardTimer); }
  window.stepwiseBoardTimer = window.setInterval(tick, 1000);
}());
