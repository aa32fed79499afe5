/* Forms marked data-once submit once and survive a bad connection.
   - The button is disabled after the first press (double taps do nothing).
   - The form is sent with fetch, and the page the server answers (after its redirect, or with the form's
     errors) replaces this one; on a network failure the user is told that nothing was saved
     and may press again. Retrying is safe: each form carries a one-time key, and the server records a dose
     once per key. Without JavaScript the form still posts normally. */
(function () {
  "use strict";

  function showFailure(form, message, link) {
    var box = form.querySelector(".submit-failed");
    if (!box) {
      box = document.createElement("div");
      box.className = "alert alert-danger submit-failed";
      box.setAttribute("role", "alert");
      box.setAttribute("data-testid", "not-saved");
      form.insertBefore(box, form.firstChild);
    }
    box.textContent = message || form.getAttribute("data-failed-text") ||
      "Not saved: the connection to the server failed. Check the connection and press the button again. " +
      "It is safe to retry: nothing is recorded twice.";
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      box.appendChild(document.createTextNode(" "));
      box.appendChild(a);
    }
    box.scrollIntoView({ block: "nearest" });
  }

  function setBusy(form, busy) {
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = busy;
      if (busy) { button.setAttribute("aria-busy", "true"); } else { button.removeAttribute("aria-busy"); }
    });
  }

  // After a write the answer page says what was saved and what happens next at its top: bring it into view (the
  // page written in place keeps the old scroll position, so the confirmation would sit above the fold).
  function showConfirmation() {
    window.scrollTo(0, 0);
    var flash = document.querySelector("[data-testid=flash], [data-testid=error]");
    if (flash) { flash.focus({ preventScroll: true }); }
  }

  // The page written in place runs this file again: it brings its confirmation into view once laid out.
  var CONFIRM_KEY = "stepwise-show-confirmation";
  var pending = false;
  try { pending = window.sessionStorage.getItem(CONFIRM_KEY) === "1"; } catch (ignored) { pending = false; }
  if (pending) {
    try { window.sessionStorage.removeItem(CONFIRM_KEY); } catch (ignored) { /* private mode */ }
    showConfirmation();
    window.addEventListener("load", showConfirmation);
    window.setTimeout(showConfirmation, 50);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) { return; }
    event.preventDefault();
    if (form.getAttribute("data-submitted") === "1") { return; }
    form.setAttribute("data-submitted", "1");
    setBusy(form, true);
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        var loginUrl = document.body.getAttribute("data-login-url");
        if (response.redirected && loginUrl && new URL(response.url).pathname === loginUrl) {
          // The session ended while the form was open: nothing was saved; keep what was typed.
          // session.js has kept what was typed in this tab: signing in comes back to this page (?next=) with it.
          form.removeAttribute("data-submitted");
          setBusy(form, false);
          var drafts = window.stepwiseDrafts;
          showFailure(form, form.getAttribute("data-signed-out-text") ||
            "Not saved: you were signed out (no activity for a while). What you typed is kept in this tab.",
            drafts ? { href: drafts.loginLink(), text: "Sign in again and come back to this page" } : null);
          return null;
        }
        // The server has the form (saved, or refused with its errors shown): its draft is no longer needed.
        if (window.stepwiseDrafts) { window.stepwiseDrafts.clear(form); }
        // fetch has already followed the redirect (and the page it got shows the flash message): show that
        // page as it is, at its own address.
        return response.text().then(function (html) {
          if (response.redirected) { window.history.replaceState(null, "", response.url); }
          try { window.sessionStorage.setItem(CONFIRM_KEY, "1"); } catch (ignored) { /* private mode */ }
          document.open();
          document.write(html);
          document.close();
          window.setTimeout(showConfirmation, 0);
        });
      })
      .catch(function () {
        form.removeAttribute("data-submitted");
        setBusy(form, false);
        showFailure(form);
      });
  });
}());
