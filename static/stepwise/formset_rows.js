/* "Add a row" for a table of formset rows, without a round trip: the row drawn by the server for the formset's
   empty form (<template data-formset-template=PREFIX>) is added with the next index, and the formset's
   TOTAL_FORMS count goes up. Rows are removed with their "Remove" box. Without JavaScript the same button posts
   the page, which comes back with one more row. */
(function () {
  "use strict";

  // A button that works only with this script (it has no page to post to) is hidden until the script runs.
  Array.prototype.slice.call(document.querySelectorAll("[data-formset-add][data-needs-js]")).forEach(function (button) {
    button.hidden = false;
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (!button) { return; }
    var prefix = button.getAttribute("data-formset-add");
    var form = button.form;
    var total = form.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
    var template = form.querySelector("template[data-formset-template='" + prefix + "']");
    var body = form.querySelector("[data-formset-body='" + prefix + "']");
    if (!total || !template || !body) { return; }  // let the button post the page instead
    event.preventDefault();
    var index = parseInt(total.value, 10) || 0;
    var holder = document.createElement("tbody");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var added = null;
    Array.prototype.slice.call(holder.children).forEach(function (row) {
      body.appendChild(row);
      if (!added && row.hasAttribute("data-row")) { added = row; }
    });
    total.value = String(index + 1);
    if (added) {
      var first = parseInt(body.getAttribute("data-first-number"), 10) || 1;
      var number = added.querySelector("[data-row-number]");
      if (number) { number.prepend(String(first + body.querySelectorAll("tr[data-row]").length - 1)); }
      var input = added.querySelector("input:not([type=hidden]), select");
      if (input) { input.focus(); }
    }
  });
}());
