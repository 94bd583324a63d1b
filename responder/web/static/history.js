// The texter's history panel: adding and lifting flags through /api/v1 without a reload.
// Without this script the same forms post to the console and the page comes back.
// Labels only ever reach the page through textContent, never as HTML.
"use strict";

window.ResponderConsole.part(() => {
  const { api, csrf, say, errorText } = window.ResponderConsole;
  const panel = document.getElementById("texter-history");
  if (!panel) return;

  const flags = "/conversations/" + panel.dataset.conversationId + "/flags";
  const list = document.getElementById("flag-list");
  const none = document.getElementById("flags-none");
  const form = document.getElementById("flag-form");
  const status = document.getElementById("flag-status");
  const alert = document.getElementById("flag-error");

  function problem(text) {
    alert.textContent = text || "";
    alert.hidden = !text;
  }

  // The last day the flag shows: it expires at the start of the next.
  function lastDay(expiresAt) {
    const last = new Date(new Date(expiresAt).getTime() - 1);
    return last.toLocaleDateString(undefined, { day: "2-digit", month: "short", year: "numeric", timeZone: "UTC" });
  }

  function flagItem(flag) {
    const li = document.createElement("li");
    li.className = "flag";
    li.dataset.flagId = flag.id;
    const label = document.createElement("strong");
    label.className = "mark mark-flag";
    label.textContent = flag.label;
    const until = document.createElement("span");
    until.className = "hint";
    const time = document.createElement("time");
    time.dateTime = flag.expires_at;
    time.textContent = lastDay(flag.expires_at);
    // The phrase places the day where its language wants it: {when} is the <time>.
    const words = flag.counsellor
      ? say("history.until_by", { name: flag.counsellor })
      : say("history.until");
    const [before, after] = words.split("{when}");
    until.append(before, time, after || "");
    const lift = document.createElement("form");
    lift.className = "lift-flag";
    lift.method = "post";
    lift.action = form.action + "/" + flag.id + "/lift";
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrf;
    const button = document.createElement("button");
    button.type = "submit";
    button.textContent = say("history.lift");
    button.setAttribute("aria-label", say("history.lift_label", { label: flag.label }));
    lift.append(token, button);
    li.append(label, " ", until, " ", lift);
    return li;
  }

  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      problem("");
      const body = { label: form.elements.label.value };
      if (form.elements.expires_on.value) body.expires_on = form.elements.expires_on.value;
      const result = await api("POST", flags, body);
      if (result.status !== 201) {
        problem(errorText(result, say("history.not_added")));
        return;
      }
      list.append(flagItem(result.data));
      none.hidden = true;
      form.elements.label.value = "";
      status.textContent = say("history.added", { label: result.data.label });
    });
  }

  list.addEventListener("submit", async (event) => {
    const item = event.target.closest("li.flag");
    if (!item) return;
    event.preventDefault();
    problem("");
    const label = item.querySelector(".mark-flag").textContent;
    const result = await api("DELETE", flags + "/" + item.dataset.flagId);
    // 404: it expired or someone else lifted it meanwhile; either way it is gone.
    if (result.status !== 204 && result.status !== 404) {
      problem(errorText(result, say("history.not_lifted")));
      return;
    }
    item.remove();
    none.hidden = list.children.length > 0;
    // The button pressed is gone: keyboard users carry on from the form to add one.
    if (form) form.elements.label.focus();
    status.textContent = say("history.lifted", { label });
  });
});
