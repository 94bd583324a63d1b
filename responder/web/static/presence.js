// The queue page's line saying what texters asking for a person are told, kept true as
// the switch is turned and as colleagues come and go.
"use strict";

(function () {
  const line = document.getElementById("texters-told");
  if (!line) return;
  const { api, say } = window.ResponderConsole;
  const REFRESH_MS = 30000;

  async function refresh() {
    try {
      const result = await api("GET", "/counsellors/present");
      if (result.status !== 200) return;
      const words = say(result.data.someone_free ? "queue.someone_free" : "queue.nobody_free");
      // Only a change is written, so a screen reader hears it once.
      if (line.textContent !== words) line.textContent = words;
    } catch (failure) {
      // Offline: console.js says so; the line waits for the next try.
    }
  }

  const switchBox = document.getElementById("available");
  // The switch's own request goes first; ask after it has had time to land.
  if (switchBox) switchBox.addEventListener("change", () => window.setTimeout(refresh, 600));
  window.setInterval(refresh, REFRESH_MS);
})();
