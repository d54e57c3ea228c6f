/* Vigie tracking snippet: cookie-less pageviews, engagement, downloads,
 * outbound links, forms and custom events. No storage identifier, no
 * fingerprinting; does nothing under GPC, Do-Not-Track or the site owner's
 * own opt-out (localStorage.vigie_ignore = "true"). */
(function (w, d, n, l) {
  "use strict";
  var s = d.currentScript;
  if (!s) return;
  var attr = function (k) { return s.getAttribute("data-" + k); };
  var site = attr("site");
  var api = attr("api") || new URL(s.src).origin + "/e";
  var hashMode = attr("hash") !== null;
  var queued = (w.vigie && w.vigie.q) || [];

  // Every reason not to track goes through here.
  var ignored = function () {
    try {
      if (w.localStorage.vigie_ignore === "true") return 1;
    } catch (e) {}
    return n.globalPrivacyControl || n.doNotTrack == "1" || w.doNotTrack == "1" ||
      (attr("allow-local") === null && (/^localhost$|^127\.|^\[::1\]$/.test(l.hostname) || l.protocol == "file:"));
  };

  var send = function (type, extra) {
    if (!site || ignored()) return;
    var body = { site: site, type: type, url: hashMode ? l.href : l.href.split("#")[0],
      referrer: d.referrer || null, title: d.title };
    for (var k in extra) body[k] = extra[k];
    body = JSON.stringify(body);
    if (!(n.sendBeacon && n.sendBeacon(api, body))) {
      fetch(api, { method: "POST", body: body, keepalive: true }).catch(function () {});
    }
  };

  var event = function (name, props) { send("event", { name: name, props: props || null }); };

  // Pageviews: on load and on each SPA navigation, never twice in a row.
  var last;
  var pageview = function () {
    var url = hashMode ? l.href : l.pathname + l.search;
    if (url != last) { last = url; send("pageview"); }
  };
  ["pushState", "replaceState"].forEach(function (m) {
    var orig = history[m];
    history[m] = function () { orig.apply(this, arguments); pageview(); };
  });
  w.addEventListener("popstate", pageview);
  if (hashMode) w.addEventListener("hashchange", pageview);

  // Engagement: visible time, sent once each time the page is hidden or left.
  var shown = d.visibilityState == "visible" ? Date.now() : 0, spent = 0;
  var flush = function () {
    if (shown) { spent += Date.now() - shown; shown = 0; }
    if (spent > 0) { send("engagement", { engaged_ms: spent }); spent = 0; }
  };
  d.addEventListener("visibilitychange", function () {
    if (d.visibilityState == "hidden") flush(); else shown = Date.now();
  });
  w.addEventListener("pagehide", flush);

  // Downloads and outbound links.
  d.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[href]");
    if (!a || !/^https?:/.test(a.href)) return;
    var url = a.href.split(/[?#]/)[0];
    if (/\.(pdf|docx?|xlsx?|pptx?|csv|zip|rar|7z|gz|txt|odt|ods|odp|epub|mp3|mp4|dmg|exe|msi)$/i.test(url)) {
      event("download", { url: url });
    } else if (a.host != l.host) {
      event("outbound", { url: url });
    }
  }, true);

  if (attr("forms") !== null) {
    d.addEventListener("submit", function (e) {
      var f = e.target;
      event("form_submit", { form: f.id || f.name || f.getAttribute("action") || "form" });
    }, true);
  }

  // Custom events: vigie("event", name, props); calls made earlier are replayed.
  w.vigie = function (kind, name, props) { if (kind == "event") event(name, props); };
  pageview();
  queued.forEach(function (args) { w.vigie.apply(null, args); });
})(window, document, navigator, location);
