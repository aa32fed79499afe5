/* Staying signed in at the bedside, and losing nothing typed when the session ends anyway.
   - Keepalive: the page of a challenge under way carries data-keepalive (its URL) and data-keepalive-seconds; it is
     pinged while the page is open, so a nurse waiting 30 min for the next dose is not signed out by the 15-min
     idle limit. The server keeps the absolute limit (clinics.auth) and answers 409 once the challenge is over.
   - Drafts: what is typed into a form marked data-once is kept in this tab's sessionStorage (never sent anywhere,
     gone when the tab closes or on "Sign out"), put back when the page is shown again (after signing in again,
     which returns here through ?next=), and dropped once the server has the form (forms.js calls
     stepwiseDrafts.clear).
   - Signed out: the page says so, with a link that signs in and comes back to this page. */
(function () {
  "use strict";
  var PREFIX = "stepwise-draft:";
  var SKIP = { hidden: 1, password: 1, file: 1, submit: 1, button: 1 };

  function loginLink() {
    var login = document.body.getAttribute("data-login-url") || "/accounts/login/";
    return login + "?next=" + encodeURIComponent(window.location.pathname + window.location.search);
  }

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function key(form) {
    return PREFIX + window.location.pathname + "|" + (form.getAttribute("action") || "");
  }

  function read(form) {
    var store = storage();
    try { return JSON.parse((store && store.getItem(key(form))) || "{}"); } catch (e) { return {}; }
  }

  function draftable(field) {
    return field.name && !SKIP[field.type] && field.name !== "csrfmiddlewaretoken";
  }

  function save(event) {
    var field = event.target;
    var form = field.form;
    var store = storage();
    if (!store || !form || !form.hasAttribute("data-once") || !draftable(field)) { return; }
    var draft = read(form);
    draft[field.name] = field.type === "checkbox" || field.type === "radio"
      ? { checked: field.checked, value: field.value } : { value: field.value };
    try { store.setItem(key(form), JSON.stringify(draft)); } catch (e) { /* storage full: nothing to do */ }
  }

  function restore(form) {
    var draft = read(form);
    var names = Object.keys(draft);
    names.forEach(function (name) {
      var saved = draft[name];
      form.querySelectorAll("[name='" + name + "']").forEach(function (field) {
        if (!draftable(field)) { return; }
        if (field.type === "checkbox" || field.type === "radio") {
          if (field.value === saved.value) { field.checked = saved.checked; }
        } else {
          field.value = saved.value;
        }
        field.dispatchEvent(new Event("input", { bubbles: true }));  // a restored time is the user's (times.js)
      });
    });
    if (names.length) {
      var note = document.createElement("div");
      note.className = "alert alert-info py-2";
      note.setAttribute("data-testid", "draft-restored");
      note.textContent = "What you typed here before is back. Check it, then press the button: it was not saved yet.";
      form.insertBefore(note, form.firstChild);
    }
  }

  function clear(form) {
    var store = storage();
    if (store) { store.removeItem(key(form)); }
  }

  function clearAll() {
    var store = storage();
    if (!store) { return; }
    Object.keys(store).forEach(function (name) { if (name.indexOf(PREFIX) === 0) { store.removeItem(name); } });
  }

  window.stepwiseDrafts = { clear: clear, loginLink: loginLink };
  document.querySelectorAll("form[data-once]").forEach(restore);
  document.addEventListener("input", save);
  document.addEventListener("change", save);
  document.addEventListener("submit", function (event) {
    var action = event.target.getAttribute("action") || "";
    if (action.indexOf("logout") !== -1) { clearAll(); }  // a deliberate sign-out leaves nothing on the computer
  });

  // --- keepalive -------------------------------------------------------------------------------------------------
  var holder = document.querySelector("[data-keepalive]");
  if (window.stepwiseKeepaliveTimer) { window.clearInterval(window.stepwiseKeepaliveTimer); }
  if (!holder) { return; }
  var waited = 0;

  function signedOut() {
    window.clearInterval(window.stepwiseKeepaliveTimer);
    if (document.querySelector("[data-testid=signed-out]")) { return; }
    var box = document.createElement("div");
    box.className = "alert alert-warning";
    box.setAttribute("role", "alert");
    box.setAttribute("data-testid", "signed-out");
    box.textContent = "You were signed out. What you type on this page is kept in this tab. ";
    var link = document.createElement("a");
    link.href = loginLink();
    link.textContent = "Sign in again and come back to this page";
    box.appendChild(link);
    var main = document.querySelector("main") || document.body;
    main.insertBefore(box, main.firstChild);
  }

  function ping() {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(holder.getAttribute("data-keepalive"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" }
    }).then(function (response) {
      var login = document.body.getAttribute("data-login-url");
      if (response.redirected && login && new URL(response.url).pathname === login) { signedOut(); return; }
      if (response.status === 409) { window.clearInterval(window.stepwiseKeepaliveTimer); }  // no longer under way
    }).catch(function () { /* offline for a moment: the next ping tries again */ });
  }

  function tick() {
    var every = parseFloat(holder.getAttribute("data-keepalive-seconds"));
    waited += 1;
    if (waited >= (isNaN(every) || every <= 0 ? 240 : every)) { waited = 0; ping(); }
  }
  window.stepwiseKeepaliveTimer = window.setInterval(tick, 1000);
}());
