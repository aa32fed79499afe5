/* Time fields that record the moment the button is pressed (clinics.forms.StampedWhenField).
   An empty field shows the current time and keeps it current; its hidden marker says "live", and the server
   then stamps its own clock at submission, so a page left open through a 30-min wait never records the time it
   was loaded. Once the user changes the field (a late entry), the marker says "typed" and the server keeps that
   time. Buttons in the same form with data-label-typed change their words to match ("... at the time above").
   Without JavaScript the field stays empty and the server stamps now all the same. */
(function () {
  "use strict";
  var serverNow = Date.parse(document.body.getAttribute("data-server-now") || "");
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function localValue() {
    // The server's wall clock (the clinic's zone): the page says it in data-server-now with its offset.
    var offset = (document.body.getAttribute("data-server-now") || "").match(/([+-])(\d\d):?(\d\d)$/);
    var minutes = offset ? (offset[1] === "-" ? -1 : 1) * (parseInt(offset[2], 10) * 60 + parseInt(offset[3], 10)) : 0;
    var d = new Date(Date.now() + skew + minutes * 60000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + "T" +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  function marker(input) {
    return input.form && input.form.querySelector("input[data-stamp-marker][name='" + input.name + "_entry']");
  }

  function relabel(input) {
    if (!input.form) { return; }
    input.form.querySelectorAll("[data-label-typed]").forEach(function (button) {
      button.textContent = button.getAttribute("data-label-typed");
    });
  }

  function inputs() {
    return Array.prototype.slice.call(document.querySelectorAll("input[data-stamp-now]"));
  }

  inputs().forEach(function (input) {
    var mark = marker(input);
    if (!mark) { return; }
    if (input.value) {
      mark.value = "typed";  // a value sent back with the form's errors: the user's own
      relabel(input);
    } else {
      mark.value = "live";
      input.value = localValue();
    }
    input.addEventListener("input", function () {
      mark.value = "typed";
      relabel(input);
    });
  });

  function keepCurrent() {
    var value = localValue();
    inputs().forEach(function (input) {
      var mark = marker(input);
      if (mark && mark.value === "live" && input.value !== value) { input.value = value; }
    });
  }
  if (window.stepwiseTimesTimer) { window.clearInterval(window.stepwiseTimesTimer); }
  window.stepwiseTimesTimer = window.setInterval(keepCurrent, 15000);
}());
