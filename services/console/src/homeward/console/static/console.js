// Homeward console: progressive enhancement only; every page works without this file.
// 1. The unread badge and the live regions follow the user's notifications (Server-Sent
//    Events from /live/stream; polling when EventSource is missing or the stream ends).
// 2. The idle-timeout warning on shared computers, and signing out at the timeout.
(function () {
  "use strict";
  var body = document.body;
  var focus = document.querySelector("[data-focus-on-load]");
  if (focus) { focus.focus(); }
  if (!body.hasAttribute("data-signed-in")) { return; }

  // --- 1. Live -----------------------------------------------------------------------------
  var POLL_MS = 60000;
  // "manual": once the session has ended, the answer is a redirect to sign in, which a
  // background request must not follow (it would start a sign-in each minute).
  var quietly = { credentials: "same-origin", redirect: "manual" };
  var badges = document.querySelectorAll("[data-unread-badge]");
  function showUnread(count) {
    badges.forEach(function (badge) { badge.textContent = count > 0 ? String(count) : ""; });
  }
  function refreshUnread() {
    fetch("/live/unread", quietly)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer) { showUnread(answer.unread); } })
      .catch(function () {});
  }
  // Regions marked data-live-region are replaced by the same region of a fresh copy of the
  // page; the header tells the console this is not the user at work (no idle renewal).
  function refreshRegions() {
    var regions = document.querySelectorAll("[data-live-region]");
    if (!regions.length) { return; }
    fetch(location.href, Object.assign({ headers: { "X-Live-Refresh": "1" } }, quietly))
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (region) {
          var next = fresh.getElementById(region.id);
          if (next) { region.innerHTML = next.innerHTML; }
        });
        body.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () {});
  }
  function refreshAll() { refreshUnread(); refreshRegions(); }
  var polling = null;
  function poll() { if (polling === null) { polling = setInterval(refreshAll, POLL_MS); } }

  refreshUnread();
  if (window.EventSource) {
    var source = new EventSource("/live/stream");
    source.addEventListener("notification", refreshAll);
    source.addEventListener("ended", function () { source.close(); poll(); });
    // The browser reconnects by itself after a dropped stream; once it gives up, poll.
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) { poll(); }
    });
  } else {
    poll();
  }

  // --- 2. Idle timeout ----------------------------------------------------------------------
  var timeout = Number(body.getAttribute("data-idle-timeout")) * 1000;
  var warning = Number(body.getAttribute("data-idle-warning")) * 1000;
  // Sign out a little before the server drops the idle session: the logout then still holds
  // the id token, and the identity provider's session ends with ours without asking.
  var early = Math.min(10000, warning / 2);
  var dialog = document.getElementById("idle-dialog");
  var signOut = document.querySelector('header form[action="/logout"]');
  if (!dialog || !signOut || !dialog.showModal || timeout <= warning) { return; }
  var stayForm = dialog.querySelector("form");
  // The other tabs of this browser share the session: a page loaded or renewed in one of
  // them restarts the timers of all.
  var tabs = window.BroadcastChannel ? new BroadcastChannel("homeward-idle") : null;
  var timers = [];

  function schedule() {
    timers.forEach(clearTimeout);
    timers = [setTimeout(warn, timeout - warning), setTimeout(end, timeout - early)];
  }
  function warn() {
    if (!dialog.open) { dialog.showModal(); }
    stayForm.querySelector("button").focus();
  }
  function end() {
    signOut.action = "/logout?idle=true";
    signOut.submit();
  }
  function renewed() {
    if (dialog.open) { dialog.close(); }
    schedule();
  }
  function stay(event) {
    event.preventDefault();
    fetch(stayForm.action, {
      method: "POST", credentials: "same-origin", redirect: "manual",
      headers: { Accept: "application/json" },
      body: new URLSearchParams(new FormData(stayForm)),
    })
      .then(function (r) {
        if (!r.ok) { end(); return; }  // the session is gone already: say so, sign out there
        renewed();
        if (tabs) { tabs.postMessage("renewed"); }
      })
      .catch(function () {});  // offline: the dialog stays; the timeout still holds
  }

  stayForm.addEventListener("submit", stay);
  // Escape: the user is at the computer, so it means "stay signed in", as in GOV.UK's pattern.
  dialog.addEventListener("cancel", stay);
  if (tabs) {
    tabs.onmessage = renewed;
    tabs.postMessage("renewed");
  }
  schedule();
})();
