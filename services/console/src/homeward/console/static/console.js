// Homeward console: progressive enhancement only; every page works without this file.
// 1. The unread badge and the live regions follow the user's notifications (Server-Sent
//    Events from /live/stream, polling /live/unread as the fallback).
// 2. The idle-timeout warning on shared computers.
(function () {
  "use strict";
  var body = document.body;
  var focus = document.querySelector("[data-focus-on-load]");
  if (focus) { focus.focus(); }
  if (!body.hasAttribute("data-signed-in")) { return; }

  var badges = document.querySelectorAll("[data-unread-badge]");
  function showUnread(count) {
    badges.forEach(function (badge) { badge.textContent = count > 0 ? String(count) : ""; });
  }
  function refreshUnread() {
    fetch("/live/unread", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer) { showUnread(answer.unread); } })
      .catch(function () {});
  }
  // Regions marked data-live-region are replaced by the same region of a fresh copy of the page.
  function refreshRegions() {
    var regions = document.querySelectorAll("[data-live-region]");
    if (!regions.length) { return; }
    fetch(location.href, { credentials: "same-origin" })
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
  refreshUnread();
  if (window.EventSource) {
    var source = new EventSource("/live/stream");
    source.addEventListener("notification", function () { refreshUnread(); refreshRegions(); });
    source.addEventListener("ended", function () {
      source.close();
      setInterval(function () { refreshUnread(); refreshRegions(); }, 60000);
    });
  } else {
    setInterval(refreshUnread, 60000);
  }

  var timeout = Number(body.getAttribute("data-idle-timeout")) * 1000;
  var warning = Number(body.getAttribute("data-idle-warning")) * 1000;
  var dialog = document.querySelector("[data-idle-dialog]");
  if (dialog && timeout > warning) {
    setTimeout(function () { dialog.hidden = false; dialog.querySelector("button").focus(); }, timeout - warning);
    setTimeout(function () { location.href = "/signed-out?idle=true"; }, timeout);
  }
})();
