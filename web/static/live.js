// Live updates for the desk page: server-sent events from /dasbor/langsung, then a re-read of
// the figures (#isi) at most every 2 s. After a lost connection EventSource reconnects with
// Last-Event-ID; the page also re-reads on every (re)connect, so it never stays behind.
(function () {
  "use strict";
  var box = document.getElementById("isi");
  var feed = document.getElementById("feed");
  var status = document.getElementById("live-status");
  if (!box || !feed || !window.EventSource) { return; }
  var kinds = JSON.parse(feed.dataset.kinds || "{}");
  var timer = null;
  var lastRead = Date.now();
  var opened = false;

  function read() {
    timer = null;
    lastRead = Date.now();
    var source = box.dataset.source || location.pathname;
    fetch(source + "?bagian=isi", { credentials: "same-origin" }).then(function (r) {
      if (r.status === 401 || r.status === 403) { location.reload(); return null; }
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html !== null && html !== undefined) {
        box.innerHTML = html;
        box.dataset.reads = String(Number(box.dataset.reads || "0") + 1);
      }
    }).catch(function () {});
  }

  function refresh() {
    if (timer) { return; }
    var wait = Math.max(200, 2000 - (Date.now() - lastRead));
    timer = setTimeout(read, wait);
  }
  window.deskRefresh = refresh;

  function add(text, severity, code) {
    var item = document.createElement("li");
    item.className = "sev-" + severity;
    item.dataset.code = code;
    item.textContent = text;
    feed.insertBefore(item, feed.firstChild);
    while (feed.children.length > 30) { feed.removeChild(feed.lastChild); }
  }

  function mine(code) { return code.indexOf(box.dataset.code || "") === 0; }

  var events = new EventSource("/dasbor/langsung");
  events.addEventListener("open", function () {
    if (status) { status.textContent = status.dataset.on; status.className = "on"; }
    if (opened) { refresh(); }
    opened = true;
  });
  events.addEventListener("error", function () {
    if (status) { status.textContent = status.dataset.off; status.className = "off"; }
  });
  events.addEventListener("checkin", function (message) {
    var data = JSON.parse(message.data);
    if (!mine(data.code)) { return; }
    var time = new Date(data.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    add(time + " · " + data.code + " · " + (kinds[data.kind] || data.kind), data.severity, data.code);
    refresh();
  });
  events.addEventListener("ack", function (message) {
    var data = JSON.parse(message.data);
    if (!mine(data.code)) { return; }
    add(feed.dataset.ack + " #" + data.broadcast + " · " + data.code, "ok", data.code);
  });
  events.addEventListener("resync", refresh);
  events.addEventListener("signed_out", function () { events.close(); location.reload(); });
})();
