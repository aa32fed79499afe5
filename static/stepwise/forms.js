/* A form marked data-once submits once: the button is disabled after the first click (the server also
   refuses duplicates by the form's one-time key, so this is only a courtesy against double taps). */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) { return; }
    if (form.getAttribute("data-submitted") === "1") { event.preventDefault(); return; }
    form.setAttribute("data-submitted", "1");
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
    });
  });
}());
