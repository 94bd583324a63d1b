// The transfer form on a conversation page: hand the conversation to a counsellor who
// is here with room, with an optional private note, through /api/v1.
"use strict";

window.ResponderConsole.part(() => {
  const { api, say, errorText } = window.ResponderConsole;
  const form = document.getElementById("transfer-form");
  const root = document.querySelector(".console-page");
  if (!form || !root) return;

  const select = document.getElementById("transfer-to");
  const note = document.getElementById("transfer-note");
  const none = document.getElementById("transfer-none");
  const button = form.querySelector("button[type=submit]");
  const error = document.getElementById("action-error");
  const REFRESH_MS = 15000;

  function show(text) {
    if (!error) return;
    error.textContent = text || "";
    error.hidden = !text;
  }

  // Who is here changes as people sign in and out: redraw the choices, keeping the
  // one picked if that person is still there.
  async function refresh() {
    let result;
    try {
      result = await api("GET", "/counsellors/present");
    } catch (failure) {
      return;
    }
    if (result.status !== 200) return;
    const picked = select.value;
    const people = result.data.items.filter((p) => p.username !== form.dataset.holder);
    select.replaceChildren(
      ...people.map((person) => {
        const option = document.createElement("option");
        option.value = person.username;
        option.textContent = say("transfer.choice", {
          name: person.username,
          open: person.open_conversations,
          max: person.max_open,
        });
        option.selected = person.username === picked;
        return option;
      }),
    );
    select.disabled = button.disabled = people.length === 0;
    none.hidden = people.length > 0;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!select.value) return;
    button.disabled = true;
    try {
      const body = { to: select.value };
      if (note.value.trim()) body.note = note.value;
      const result = await api(
        "POST", "/conversations/" + root.dataset.conversationId + "/transfer", body,
      );
      if (result.status === 200) {
        window.location.assign(root.dataset.queue);
        return;
      }
      show(errorText(result, say("transfer.failed")));
      await refresh();
    } catch (failure) {
      show(say("transfer.unreachable"));
    } finally {
      button.disabled = select.options.length === 0;
    }
  });

  select.addEventListener("focus", refresh);
  const timer = window.setInterval(refresh, REFRESH_MS);
  return () => window.clearInterval(timer);
});
