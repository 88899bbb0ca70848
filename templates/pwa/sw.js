// Service worker of the POKJA-PKP portal (issue 14), written by hand: no library, no CDN.
// Served from /sw.js by core/pwa.py, which fills in the values below.
//
// Kept in Cache Storage: the app shell (static files of every page, the icons and
// the "network needed" page) and the offline collection page of each UPK the
// manager opened. Borrower data is never cached here: the collection page keeps
// it in IndexedDB (static/js/offline-collect.js). Every other page goes to the
// network; when that fails, the "network needed" page answers.
"use strict";

var VERSION = "pending";
var SHELL_CACHE = "pokja-shell-" + VERSION;
var PAGE_CACHE = "pokja-pages";
var PRECACHE = {{ precache|safe }};
var OFFLINE_URL = {{ offline_url|safe }};
var OFFLINE_PAGES = new RegExp({{ offline_pages|safe }});
var STATIC_PREFIX = {{ static_prefix|safe }};
// A kept page is answered from the cache when the network has not answered by then (a weak signal).
var NETWORK_TIMEOUT_MS = 6000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then(function (cache) { return cache.addAll(PRECACHE); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("pokja-shell-") === 0 && name !== SHELL_CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function withTimeout(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

// The offline collection page: the network first (it carries a fresh CSRF token
// and the current menus), the kept copy when offline or too slow.
function keptPage(request) {
  var network = fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGE_CACHE).then(function (cache) { cache.put(request.url.split("?")[0], copy); });
    }
    return response;
  });
  return withTimeout(network, NETWORK_TIMEOUT_MS).catch(function () {
    return caches.match(request.url.split("?")[0], { cacheName: PAGE_CACHE }).then(function (hit) {
      return hit || network.catch(function () { return caches.match(OFFLINE_URL); });
    });
  });
}

function otherPage(request) {
  return fetch(request).catch(function () {
    return caches.match(OFFLINE_URL, { cacheName: SHELL_CACHE });
  });
}

// Static files have fingerprinted names in production: the cached copy is always right.
function staticFile(request) {
  return caches.match(request, { cacheName: SHELL_CACHE }).then(function (hit) {
    return hit || fetch(request);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(OFFLINE_PAGES.test(url.pathname) ? keptPage(request) : otherPage(request));
  } else if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(staticFile(request));
  }
  // Anything else (JSON, downloads, HTMX fragments) goes to the network untouched.
});

// The collection page asks for itself to be kept the first time it is opened
// (before this worker controlled it), and to forget kept pages on logout.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "keep-page" && typeof data.url === "string") {
    var path = new URL(data.url, self.location.origin).pathname;
    if (!OFFLINE_PAGES.test(path)) { return; }
    event.waitUntil(caches.open(PAGE_CACHE).then(function (cache) {
      return fetch(path, { credentials: "same-origin" }).then(function (response) {
        if (response.ok && !response.redirected) { return cache.put(self.location.origin + path, response); }
      });
    }).then(function () {
      if (event.source) { event.source.postMessage({ type: "page-kept", url: path }); }
    }).catch(function () {}));
  } else if (data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGE_CACHE));
  }
});
