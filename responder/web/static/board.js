// The supervisors' live board: the server draws it, and this fetches it again as
// conversations change (from the change feed) and every few seconds, since waits grow
// and counsellors come and go without an event. Only a board that differs is swapped in.
// A conversation ticked for the flood form stays ticked while it is on the board.
"use strict";

(function () {
  const page = document.querySelector('[data-page="board"]');
  if (!page) return;
  const url = page.dataset.board;
  // Waits are shown to the minute and presence is judged over minutes.
  const REFRESH_MS = 15000;
  let busy = false;

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      // The flood form's ticks live in the board's rows: keep them through a redraw,
      // or a supervisor ticking forty conversations would lose them every few seconds.
      const ticked = new Set(
        Array.from(page.querySelectorAll('input[name="conversation"]:checked'), (box) => box.value),
      );
      const node = await window.ResponderConsole.redraw(url, "board");
      if (node) {
        node.querySelectorAll('input[name="conversation"]').forEach((box) => {
          box.checked = ticked.has(box.value);
        });
      }
    } catch (failure) {
      // Offline: console.js says so; the board tries again with the next change.
    } finally {
      busy = false;
    }
  }

  if (window.ResponderConsole.follow) window.ResponderConsole.follow(refresh);
  window.setInterval(refresh, REFRESH_MS);
})();
