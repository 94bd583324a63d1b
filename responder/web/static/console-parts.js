// What the console's scripts share: one way to call /api/v1, and the page parts that
// start again when console.js switches a conversation in without a page load.
// A switched-in page arrives as inert HTML, so its forms are wired by the parts
// registered here rather than by scripts of its own.
"use strict";

window.ResponderConsole = (function () {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.content : "";
  const live = document.getElementById("caseload");
  const apiRoot = live ? live.dataset.api : "";
  const parts = [];
  let stops = [];
  // The phrases of the catalogue's [script] tables in the page's language, carried by
  // the page so that no script holds words of its own.
  const words = JSON.parse(document.body.dataset.words || "{}");

  // True once the browser has begun to leave this page (signing out, following a link).
  // A poll answered during that moment finds the session already gone; reloading then
  // would cancel the page being opened and land on the sign-in form for this page.
  let unloading = false;
  window.addEventListener("beforeunload", () => {
    unloading = true;
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) unloading = false; // back again from the browser's page cache
  });

  // The session ended (signed out elsewhere, or the shift ran out): the page itself now
  // leads to the sign-in form, unless the browser is already on its way somewhere else.
  function sessionEnded() {
    if (!unloading) window.location.reload();
  }

  // The phrase for key with its {placeholders} filled in; an unknown key shows itself,
  // which a test of the catalogues catches before a counsellor does.
  function say(key, values) {
    const text = Object.prototype.hasOwnProperty.call(words, key) ? words[key] : key;
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
      values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole
    );
  }

  // Why the helpline refused an action, in the page's language when the refusal carries
  // a code this page has words for; else the API's own (English) words, else fallback.
  function errorText(result, fallback) {
    const data = result.data || {};
    const key = `refused.${data.code}`;
    if (data.code && Object.prototype.hasOwnProperty.call(words, key)) {
      return say(key, data.values);
    }
    return data.error || fallback;
  }

  // Calls the API with the session cookie and the page's CSRF token; resolves to
  // {status, data} and never rejects on HTTP errors, only when the network fails.
  async function api(method, path, body) {
    const headers = { "X-CSRF-Token": csrf, Accept: "application/json" };
    const options = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(apiRoot + path, options);
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (response.status === 401) sessionEnded();
    return { status: response.status, data };
  }

  // Fetches a part the server draws (the held list, the supervisors' board) and swaps it
  // in for the element of the same id; resolves to the new element, or null when the part
  // has not changed since the last time or could not be had.
  const drawn = {};
  async function redraw(url, id) {
    const response = await fetch(url, {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" },
    });
    if (response.redirected) {
      sessionEnded(); // sent to the sign-in page
      return null;
    }
    if (response.status !== 200) return null;
    const text = await response.text();
    if (text === drawn[id]) return null;
    drawn[id] = text;
    // Parsed as an inert document: nothing in it runs, and it is the server's escaped HTML.
    const fresh = new DOMParser().parseFromString(text, "text/html").getElementById(id);
    const current = document.getElementById(id);
    if (!fresh || !current) return null;
    const node = document.importNode(fresh, true);
    current.replaceWith(node);
    return node;
  }

  function run(start) {
    const stop = start();
    if (typeof stop === "function") stops.push(stop);
  }

  // A part wires the page as it stands now, and again after each switch; what it
  // returns (a function) is called before the page it wired goes.
  function part(start) {
    parts.push(start);
    run(start);
  }

  function leaving() {
    stops.forEach((stop) => stop());
    stops = [];
  }

  function switchedIn() {
    parts.forEach(run);
  }

  return { csrf, api, part, leaving, switchedIn, say, errorText, redraw };
})();
