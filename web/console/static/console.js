// heatwatch console: live refresh without a full reload. Plain JS, no build step.
//
// A <main data-refresh="URL"> asks for that HTML fragment every data-refresh-seconds.
// Each element of the fragment that has an id and data-live replaces the element of the
// page with the same id (the alarm rows, the state counts, the state panel, the history,
// the "updated" time). Images with data-live-src are fetched again with a cache-busting
// query. Without this script the pages are plain links and forms, and reloading works.
(function () {
  "use strict";

  var main = document.querySelector("main[data-refresh-seconds]");
  if (!main) {
    return;
  }
  var fragmentUrl = main.getAttribute("data-refresh");
  var seconds = parseInt(main.getAttribute("data-refresh-seconds"), 10) || 5;
  var busy = false;

  function withBuster(url) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "_=" + Date.now();
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    fresh.querySelectorAll("[data-live][id]").forEach(function (node) {
      var current = document.getElementById(node.id);
      if (current) {
        current.replaceWith(document.importNode(node, true));
      }
    });
  }

  function markStale(text) {
    var updated = document.getElementById("updated");
    if (updated) {
      updated.classList.add("stale");
      updated.textContent = text;
    }
  }

  function reloadImages() {
    document.querySelectorAll("img[data-live-src]").forEach(function (img) {
      if (img.dataset.loading === "1") {
        return; // the last one has not arrived yet: skip a beat rather than pile up
      }
      // The browser keeps showing the current picture until the new one has loaded.
      img.dataset.loading = "1";
      img.onload = img.onerror = function () {
        img.dataset.loading = "";
      };
      img.src = withBuster(img.getAttribute("data-live-src"));
    });
  }

  function refresh() {
    if (busy || document.hidden) {
      return;
    }
    reloadImages();
    if (!fragmentUrl) {
      return;
    }
    busy = true;
    fetch(fragmentUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (response.status === 401) {
          window.location.reload(); // signed out or token revoked: the page goes to login
          return null;
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        if (html !== null) {
          swap(html);
        }
      })
      .catch(function () {
        markStale("update failed at " + new Date().toLocaleTimeString() + "; retrying");
      })
      .then(function () {
        busy = false;
      });
  }

  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      refresh();
    }
  });
})();
