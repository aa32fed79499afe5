/* The protocol builder (new and edit pages).
   - Only the chosen generator's fields are shown: each field lists the generators that read it
     (data-generators, from challenges/library/forms/generator.py GENERATOR_FIELDS). A field showing an error stays visible.
   - The dose table follows what is typed: the form is posted (debounced) to the read-only preview URL of
     [data-preview-url], and its answer, an HTML fragment drawn by the server, replaces the table. The same forms
     validate the input and the same rules compute the doses; nothing is saved.
   Without JavaScript every field shows and the "Preview" button redraws the page with the table. */
(function () {
  "use strict";
  var DEBOUNCE_MS = 350;

  function wrapperOf(field) {
    return document.getElementById("div_" + field.id) || field.closest(".mb-3, .form-check") || field;
  }

  function showGeneratorFields(choice) {
    var form = choice.form;
    form.querySelectorAll("[data-generators]").forEach(function (field) {
      var readers = field.getAttribute("data-generators").split(" ");
      var wanted = readers.indexOf(choice.value) !== -1 || field.classList.contains("is-invalid");
      wrapperOf(field).hidden = !wanted;
    });
  }

  document.querySelectorAll("select[data-generator-choice]").forEach(function (choice) {
    showGeneratorFields(choice);
    choice.addEventListener("change", function () { showGeneratorFields(choice); });
  });

  function livePreview(form, box) {
    var url = box.getAttribute("data-preview-url");
    var status = form.querySelector("[data-preview-status]");
    var timer = null;
    var sent = 0;

    function failed() {
      box.removeAttribute("aria-busy");
      var note = document.createElement("div");
      note.className = "alert alert-warning";
      note.setAttribute("data-testid", "preview-failed");
      note.textContent = box.getAttribute("data-preview-failed-text");
      box.replaceChildren(note);
    }

    function refresh() {
      var mine = ++sent;
      box.setAttribute("aria-busy", "true");
      fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) {
          if (mine !== sent) { return; }  // a later keystroke has already asked again
          if (!response.ok || response.redirected) { failed(); return; }  // redirected: signed out
          return response.text().then(function (html) {
            if (mine !== sent) { return; }
            box.innerHTML = html;  // drawn by the server from Django templates (escaped); no script in it
            box.removeAttribute("aria-busy");
            box.removeAttribute("data-preview-stale");
            var drawn = box.querySelector("[data-summary]");
            if (status && drawn) { status.textContent = drawn.getAttribute("data-summary"); }
          });
        })
        .catch(function () { if (mine === sent) { failed(); } });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DEBOUNCE_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button[name=preview]");
      if (button) { event.preventDefault(); window.clearTimeout(timer); refresh(); }
    });
    if (box.hasAttribute("data-preview-stale")) { refresh(); }
  }

  document.querySelectorAll("form[data-protocol-builder]").forEach(function (form) {
    var box = form.querySelector("[data-preview-url]");
    if (box) { livePreview(form, box); }
  });
}());
