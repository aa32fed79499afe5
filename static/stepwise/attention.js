/* After an action the result is in view and announced.
   A page that carries the result of an action (a message from the server, [data-flash], or a refusal,
   [data-testid=error]) is scrolled to that message, and any alert it raised ([data-attention]: a stop rule met,
   anaphylaxis, a plan paused) is brought into view too; both are read out through one polite live region.
   forms.js writes the server's answer into this window, which keeps the old scroll position: this puts it right.
   window.stepwiseAnnounce(text) lets other scripts (the board's refresh) use the same live region. */
(function () {
  "use strict";

  function announcer() {
    var region = document.querySelector("[data-announcer]");
    if (!region) {
      region = document.createElement("div");
      region.className = "visually-hidden";
      region.setAttribute("aria-live", "polite");
      region.setAttribute("aria-atomic", "true");
      region.setAttribute("data-announcer", "");
      document.body.appendChild(region);
    }
    return region;
  }

  function announce(text) {
    var region = announcer();
    region.textContent = "";
    // A short delay: a live region filled in the same task as it is created is not read by every screen reader.
    window.setTimeout(function () { region.textContent = text; }, 150);
  }
  window.stepwiseAnnounce = announce;
  announcer();

  function heading(el) {
    var h = el.querySelector("h1, h2, h3, h4, h5, h6");
    return (h || el).textContent.replace(/\s+/g, " ").trim();
  }

  var results = Array.prototype.slice.call(document.querySelectorAll("[data-flash], [data-testid=error]"));
  if (!results.length) { return; }
  var alerts = Array.prototype.slice.call(document.querySelectorAll("[data-attention]"));
  var first = results[0];

  function scrollTo(top) {
    // "instant": Bootstrap makes scrolling smooth, and a smooth scroll still under way would be measured half done.
    window.scrollTo({ top: Math.max(0, top), left: 0, behavior: "instant" });
  }

  function bringIntoView() {
    // The message at the top of the window; then the alert, if it is not wholly in view, as little further as it
    // takes (or to its top, when it is taller than the window).
    scrollTo(first.getBoundingClientRect().top + window.pageYOffset - 8);
    if (!alerts.length) { return; }
    var box = alerts[0].getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) {
      var by = box.height > window.innerHeight ? box.top - 8 : box.bottom - window.innerHeight + 8;
      scrollTo(window.pageYOffset + by);
    }
  }

  first.setAttribute("tabindex", "-1");
  first.focus({ preventScroll: true });
  bringIntoView();
  // forms.js wrote this page into the old one: the browser may put the old scroll position back once the new
  // document has loaded, so the positioning is done again then (and not after the user has started scrolling).
  var userScrolled = false;
  ["wheel", "touchmove", "keydown"].forEach(function (name) {
    window.addEventListener(name, function () { userScrolled = true; }, { once: true, passive: true });
  });
  function again() { if (!userScrolled) { bringIntoView(); } }
  window.addEventListener("load", again, { once: true });
  window.setTimeout(again, 100);
  window.setTimeout(again, 400);

  var words = results.map(function (el) { return el.textContent.replace(/\s+/g, " ").trim(); });
  alerts.forEach(function (el) { words.push(heading(el)); });
  announce(words.join(". "));
}());
