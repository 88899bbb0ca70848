// "Kumpulkan offline" (issue 14): the collection sheet at a KSM meeting without signal.
//
// Stored on the phone, in IndexedDB "pokja-offline" (see docs/architecture.md):
//   sheets  — one download per user and UPK: the sheets of the coming days, their
//             loans and what each owes (computed by the server: upk.selectors.due_list),
//             with the time it was fetched. Replaced by the next download, dropped after 14 days.
//   entries — one per payment typed: the text as typed, the loan, the sheet's date and an
//             idempotency key made here (crypto.randomUUID). "waiting" until the server
//             answers; then "accepted" (receipt number) or "refused" (the server's reason).
//             Answered entries are dropped when the manager clears them or after 14 days.
//
// The server decides everything about money: the amount is parsed by the portal's
// RupiahField (this page only refuses what is plainly not an amount), and each entry is
// checked as if typed at the moment it arrives. The key makes a resent entry (retry,
// lost answer, second tab) come back with its first answer: nothing is posted twice.
(function () {
  "use strict";

  var DB_NAME = "pokja-offline";
  var KEEP_DAYS = 14;
  var CHUNK = 50;
  var MAX_BACKOFF_MS = 60000;

  var root = document.getElementById("offline-collect");
  if (!root) { return; }
  var T = JSON.parse(document.getElementById("offline-i18n").textContent);
  var UPK = Number(root.dataset.upk);
  var USER = Number(root.dataset.user);
  var SCOPE = USER + ":" + UPK;
  var el = function (sel) { return root.querySelector(sel); };
  var fmt = function (text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (m, name) { return values && name in values ? values[name] : m; });
  };

  // --- IndexedDB, as small promises --------------------------------------------------------
  var dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () {
          var d = req.result;
          d.createObjectStore("sheets", { keyPath: "scope" });
          var entries = d.createObjectStore("entries", { keyPath: "key" });
          entries.createIndex("scope", "scope");
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }
  function tx(store, mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(store, mode);
        var result;
        Promise.resolve(fn(t.objectStore(store))).then(function (r) { result = r; });
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }
  function reqP(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function getBundle() { return tx("sheets", "readonly", function (s) { return reqP(s.get(SCOPE)); }); }
  function putBundle(bundle) { return tx("sheets", "readwrite", function (s) { s.put(bundle); }); }
  function allEntries() {
    return tx("entries", "readonly", function (s) { return reqP(s.index("scope").getAll(SCOPE)); });
  }
  function putEntries(list) {
    return tx("entries", "readwrite", function (s) { list.forEach(function (e) { s.put(e); }); });
  }
  function deleteEntries(keys) {
    return tx("entries", "readwrite", function (s) { keys.forEach(function (k) { s.delete(k); }); });
  }
  function forgetOld() {
    var limit = Date.now() - KEEP_DAYS * 86400000;
    return db().then(function (d) {
      return new Promise(function (resolve) {
        var t = d.transaction(["sheets", "entries"], "readwrite");
        t.objectStore("sheets").openCursor().onsuccess = function (ev) {
          var c = ev.target.result;
          if (!c) { return; }
          if (Date.parse(c.value.fetched_at) < limit) { c.delete(); }
          c.continue();
        };
        // Waiting entries are never dropped: they are money received and not yet recorded.
        t.objectStore("entries").openCursor().onsuccess = function (ev) {
          var c = ev.target.result;
          if (!c) { return; }
          if (c.value.status !== "waiting" && Date.parse(c.value.answered_at || c.value.created_at) < limit) { c.delete(); }
          c.continue();
        };
        t.oncomplete = resolve;
        t.onerror = resolve;
      });
    });
  }

  // --- Helpers ----------------------------------------------------------------------------------
  function rupiah(n) { return "Rp " + String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, "."); }
  function isoToday() {
    var d = new Date();
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }
  function dmy(iso) { var p = iso.split("-"); return p[2] + "-" + p[1] + "-" + p[0]; }
  function when(iso) {
    try { return new Date(iso).toLocaleString(document.documentElement.lang === "en" ? "en-GB" : "id-ID"); } catch (e) { return iso; }
  }
  // Only what is plainly not an amount is held back here; RupiahField on the server decides.
  function looksLikeAmount(text) { return /\d/.test(text) && /^(rp\.?)?[\d.\s]+$/i.test(text.trim()); }
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : root.dataset.csrf;
  }
  function message(text, kind) {
    var box = el("[data-testid=offline-message]");
    box.className = "alert alert-" + (kind || "info") + (text ? "" : " d-none");
    box.textContent = text || "";
  }
  var channel = "BroadcastChannel" in window ? new BroadcastChannel("pokja-offline-" + SCOPE) : null;
  function changed() { if (channel) { channel.postMessage("changed"); } }

  // --- State and rendering -------------------------------------------------------------------
  var bundle = null;
  var entries = [];
  var staleOk = {};

  function setNet() {
    var badge = el("[data-testid=net-status]");
    var on = navigator.onLine;
    badge.dataset.state = on ? "online" : "offline";
    badge.className = "badge " + (on ? "text-bg-success" : "text-bg-dark");
    badge.textContent = on ? T.online : T.offline;
  }

  function renderDates() {
    var select = el("[data-testid=sheet-date]");
    var info = el("[data-testid=fetched-info]");
    if (!bundle) { info.textContent = T.never; select.disabled = true; return; }
    info.textContent = fmt(T.fetched, { when: when(bundle.fetched_at) });
    var current = select.value;
    select.innerHTML = "";
    var today = isoToday();
    var pick = null;
    bundle.sheets.forEach(function (sheet) {
      var opt = document.createElement("option");
      opt.value = sheet.date;
      opt.textContent = dmy(sheet.date) + " (" + sheet.rows.length + ")";
      select.appendChild(opt);
      if (pick === null && sheet.date >= today) { pick = sheet.date; }
    });
    var dates = bundle.sheets.map(function (s) { return s.date; });
    select.value = dates.indexOf(current) >= 0 ? current : (pick || dates[dates.length - 1]);
    select.disabled = false;
  }

  function entryFor(date, loan) {
    var found = null;
    entries.forEach(function (e) {
      if (e.date === date && e.loan === loan && e.status !== "refused") { found = e; }
    });
    return found;
  }

  function renderRows() {
    var body = el("[data-rows]");
    var save = el("[data-testid=save-entries]");
    var warn = el("[data-testid=stale-warning]");
    // Amounts typed but not yet kept survive a re-render (another tab's news, a new download).
    var typed = {};
    body.querySelectorAll("input[data-loan]").forEach(function (input) {
      if (input.value) { typed[body.dataset.date + ":" + input.dataset.loan] = input.value; }
    });
    body.innerHTML = "";
    if (!bundle) {
      var empty = body.insertRow();
      var cell = empty.insertCell();
      cell.colSpan = 3; cell.className = "text-muted"; cell.textContent = T.no_sheet;
      save.disabled = true; warn.classList.add("d-none");
      return;
    }
    var date = el("[data-testid=sheet-date]").value;
    body.dataset.date = date;
    var sheet = bundle.sheets.filter(function (s) { return s.date === date; })[0];
    var stale = date < isoToday() && !staleOk[date];
    warn.classList.toggle("d-none", !stale);
    warn.querySelector("[data-stale-text]").textContent = fmt(T.stale, { date: dmy(date), when: when(bundle.fetched_at) });
    var total = 0;
    var open = 0;
    if (!sheet || !sheet.rows.length) {
      var none = body.insertRow();
      var c = none.insertCell();
      c.colSpan = 3; c.className = "text-muted"; c.textContent = T.no_rows;
    } else {
      sheet.rows.forEach(function (row) {
        var loan = bundle.loans[String(row.loan)];
        var entry = entryFor(date, row.loan);
        total += row.expected;
        var tr = body.insertRow();
        tr.dataset.loan = loan.number;
        var who = tr.insertCell();
        var name = document.createElement("div");
        name.className = "fw-semibold"; name.textContent = loan.ksm;
        var sub = document.createElement("small");
        sub.className = "text-muted";
        sub.textContent = loan.number + (row.n_arrears ? " · " + row.n_arrears + " " + T.arrears : "");
        who.appendChild(name); who.appendChild(sub);
        var owed = tr.insertCell();
        owed.className = "text-end text-nowrap";
        owed.textContent = rupiah(row.expected);
        if (row.denda) {
          var fee = document.createElement("small");
          fee.className = "d-block text-muted"; fee.textContent = fmt(T.fee, { amount: rupiah(row.denda) });
          owed.appendChild(fee);
        }
        var paid = tr.insertCell();
        if (entry) {
          var state = document.createElement("div");
          state.dataset.testid = "row-state";
          state.dataset.status = entry.status;
          state.className = "small " + (entry.status === "accepted" ? "text-success" : "text-body");
          state.textContent = entry.amount + " · " + (entry.status === "accepted" ? fmt(T.state_accepted, { receipt: entry.receipt }) : T.state_waiting);
          paid.appendChild(state);
        } else {
          open += 1;
          var input = document.createElement("input");
          input.className = "form-control form-control-lg amount-input";
          input.type = "text"; input.inputMode = "numeric"; input.autocomplete = "off";
          input.name = "amount-" + row.loan;
          input.dataset.loan = String(row.loan);
          input.value = typed[date + ":" + row.loan] || "";
          input.setAttribute("aria-label", fmt(T.paid_label, { ksm: loan.ksm }));
          input.disabled = stale;
          var full = document.createElement("button");
          full.type = "button"; full.className = "btn btn-sm btn-outline-secondary mt-1";
          full.textContent = T.full; full.disabled = stale;
          full.addEventListener("click", function () { input.value = String(row.expected).replace(/\B(?=(\d{3})+(?!\d))/g, "."); });
          var err = document.createElement("div");
          err.className = "text-danger small d-none"; err.dataset.testid = "row-error";
          paid.appendChild(input); paid.appendChild(full); paid.appendChild(err);
        }
      });
    }
    el("[data-testid=sheet-total]").textContent = sheet ? fmt(T.total, { amount: rupiah(total) }) : "";
    save.disabled = stale || !open;
  }

  function renderEntries() {
    var waiting = entries.filter(function (e) { return e.status === "waiting"; });
    var count = el("[data-testid=waiting-count]");
    count.dataset.count = String(waiting.length);
    count.textContent = waiting.length ? fmt(T.waiting, { n: waiting.length }) : T.none_waiting;
    el("[data-testid=send-now]").disabled = !waiting.length;
    var list = el("[data-testid=results]");
    list.innerHTML = "";
    entries.slice().sort(function (a, b) { return a.created_at < b.created_at ? -1 : 1; }).forEach(function (e) {
      var li = document.createElement("li");
      li.className = "list-group-item small";
      li.dataset.testid = "result";
      li.dataset.status = e.status;
      li.dataset.loan = e.number;
      var head = document.createElement("div");
      head.textContent = dmy(e.date) + " · " + e.ksm + " (" + e.number + ") · " + e.amount;
      li.appendChild(head);
      var state = document.createElement("div");
      if (e.status === "accepted") {
        state.className = "text-success";
        var link = document.createElement("a");
        link.href = e.receipt_url; link.textContent = e.receipt; link.dataset.testid = "receipt";
        state.appendChild(document.createTextNode(T.accepted + " "));
        state.appendChild(link);
      } else if (e.status === "refused") {
        state.className = "text-danger";
        state.dataset.testid = "reason";
        state.textContent = fmt(T.state_refused, { reason: e.reason });
      } else {
        state.className = "text-muted";
        state.textContent = T.state_waiting;
      }
      li.appendChild(state);
      list.appendChild(li);
    });
  }

  function reload() {
    return Promise.all([getBundle(), allEntries()]).then(function (r) {
      bundle = r[0] || null;
      entries = r[1] || [];
      renderDates(); renderRows(); renderEntries();
    });
  }

  // --- Download ----------------------------------------------------------------------------------
  function download() {
    if (!navigator.onLine) { message(T.no_network, "warning"); return Promise.resolve(); }
    message(T.downloading);
    var url = root.dataset.sheetsUrl + "?dari=" + isoToday() + "&hari=" + root.dataset.days;
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (data) {
          if (!resp.ok || !data.sheets) { throw new Error(data.error || resp.status); }
          data.scope = SCOPE;
          return putBundle(data).then(function () {
            message(fmt(T.downloaded, { n: data.sheets.length }), "success");
            changed();
            return reload();
          });
        });
      })
      .catch(function (error) { message(fmt(T.download_failed, { error: error.message }), "warning"); });
  }

  // --- Entering ------------------------------------------------------------------------------------
  function save(ev) {
    ev.preventDefault();
    var date = el("[data-testid=sheet-date]").value;
    var inputs = Array.prototype.slice.call(root.querySelectorAll("input[data-loan]"));
    var fresh = [];
    var bad = 0;
    inputs.forEach(function (input) {
      var text = input.value.trim();
      var err = input.parentNode.querySelector("[data-testid=row-error]");
      err.classList.add("d-none");
      input.classList.remove("is-invalid");
      if (!text) { return; }
      if (!looksLikeAmount(text)) {
        bad += 1;
        input.classList.add("is-invalid");
        err.textContent = T.bad_amount; err.classList.remove("d-none");
        return;
      }
      var loan = bundle.loans[input.dataset.loan];
      fresh.push({
        key: crypto.randomUUID(),
        scope: SCOPE, upk: UPK, user: USER,
        loan: Number(input.dataset.loan), number: loan.number, ksm: loan.ksm,
        date: date, amount: text, status: "waiting",
        created_at: new Date().toISOString(),
      });
    });
    if (bad) { message(T.fix_rows, "danger"); return; }
    if (!fresh.length) { message(T.nothing, "warning"); return; }
    putEntries(fresh).then(function () {
      message(fmt(T.saved, { n: fresh.length }), "success");
      changed();
      return reload();
    }).then(function () { sync(); });
  }

  // --- Sending -------------------------------------------------------------------------------------
  var syncing = false;
  var refusedNow = 0;
  var backoff = 0;
  var retryTimer = null;

  function withLock(fn) {
    // One tab sends at a time; the server's idempotency keys make a double send harmless anyway.
    if (navigator.locks && navigator.locks.request) { return navigator.locks.request("pokja-offline-sync-" + SCOPE, fn); }
    return fn();
  }

  function retryLater() {
    backoff = backoff ? Math.min(backoff * 2, MAX_BACKOFF_MS) : 2000;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(sync, backoff);
    message(fmt(T.retry_in, { s: Math.round(backoff / 1000) }), "warning");
  }

  function sendChunk(chunk) {
    return fetch(root.dataset.syncUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ entries: chunk.map(function (e) { return { key: e.key, loan: e.loan, date: e.date, amount: e.amount }; }) }),
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (data) {
        if (resp.ok && data && data.results) { return data.results; }
        if (resp.status >= 500 || data === null && resp.status !== 403) { throw new Error("server " + resp.status); }
        // Signed out, no right, CSRF or a malformed batch: retrying will not help; the entries wait.
        var stop = new Error((data && data.error) || T.refused_all);
        stop.final = true;
        throw stop;
      });
    });
  }

  function sync() {
    if (syncing) { return Promise.resolve(); }
    clearTimeout(retryTimer);
    if (!navigator.onLine) { renderEntries(); return Promise.resolve(); }
    syncing = true;
    return withLock(function () {
      return allEntries().then(function (all) {
        var waiting = all.filter(function (e) { return e.status === "waiting"; });
        if (!waiting.length) { return 0; }
        message(T.sending);
        refusedNow = 0;
        var chain = Promise.resolve(0);
        for (var i = 0; i < waiting.length; i += CHUNK) {
          (function (chunk) {
            chain = chain.then(function (done) {
              return sendChunk(chunk).then(function (results) {
                var byKey = {};
                chunk.forEach(function (e) { byKey[e.key] = e; });
                var now = new Date().toISOString();
                var answered = results.filter(function (r) { return byKey[r.key]; }).map(function (r) {
                  var e = byKey[r.key];
                  e.status = r.status === "accepted" ? "accepted" : "refused";
                  e.receipt = r.receipt || "";
                  e.receipt_url = r.receipt_url || "";
                  e.reason = r.reason || "";
                  e.answered_at = now;
                  if (e.status === "refused") { refusedNow += 1; }
                  return e;
                });
                return putEntries(answered).then(function () { return done + answered.length; });
              });
            });
          })(waiting.slice(i, i + CHUNK));
        }
        return chain;
      });
    }).then(function (n) {
      backoff = 0;
      if (n) {
        var refused = refusedNow;
        return reload().then(function () {
          message(fmt(refused ? T.sent_some_refused : T.sent, { n: n, refused: refused }), refused ? "warning" : "success");
          changed();
        });
      }
    }).catch(function (error) {
      if (error && error.final) { message(error.message, "danger"); return reload(); }
      retryLater();
      return reload();
    }).then(function () { syncing = false; }, function () { syncing = false; });
  }

  function clearDone() {
    var keys = entries.filter(function (e) { return e.status !== "waiting"; }).map(function (e) { return e.key; });
    deleteEntries(keys).then(reload).then(changed);
  }

  // --- Wiring ------------------------------------------------------------------------------------
  el("[data-testid=sheet-date]").addEventListener("change", renderRows);
  el("[data-action=use-stale]").addEventListener("click", function () {
    staleOk[el("[data-testid=sheet-date]").value] = true;
    renderRows();
  });
  el("[data-action=download]").addEventListener("click", download);
  el("[data-action=send]").addEventListener("click", function () { backoff = 0; sync(); });
  el("[data-action=clear-done]").addEventListener("click", clearDone);
  el("[data-testid=offline-form]").addEventListener("submit", save);
  window.addEventListener("online", function () { setNet(); backoff = 0; sync(); });
  window.addEventListener("offline", function () { setNet(); renderEntries(); });
  if (channel) { channel.onmessage = function () { reload(); }; }

  // The page itself is kept by the service worker for the next visit without signal.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (ev) {
      if (ev.data && ev.data.type === "page-kept") { root.dataset.pageKept = "1"; }
    });
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) { reg.active.postMessage({ type: "keep-page", url: window.location.pathname }); }
    });
  }

  setNet();
  forgetOld()
    .then(reload)
    .then(function () { return navigator.onLine ? download() : message(bundle ? T.no_network : T.no_sheet_offline, "warning"); })
    .then(function () { root.dataset.ready = "1"; return sync(); })
    .catch(function (error) { message(fmt(T.storage_failed, { error: error && error.message }), "danger"); });
})();
