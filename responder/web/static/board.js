// The supervisors' live board: the server draws it, and this fetches it again as
// conversations change (from the change feed) and every few seconds, since waits grow
// and counsellors come and go without an event. Only a board that differs is swapped in.
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
      await window.ResponderConsole.redraw(url, "board");
    } catch (failure) {
      // Offline: console.js says so; the board tries again with the next change.
    } finally {
      busy = false;
    }
  }

  if (window.ResponderConsole.follow) window.ResponderConsole.follow(refresh);
  window.setInterval(refresh, REFRESH_MS);
})();
