// The console's theme: light, dark, or as the system says. Loaded in <head> without
// defer, so the stored choice is on <html> before the page is first painted and a dark
// page never flashes light. The choice stays in this browser only (localStorage).
"use strict";

(function () {
  const KEY = "console-theme";
  const CHOICES = ["light", "dark", "system"];

  function stored() {
    try {
      const choice = window.localStorage.getItem(KEY);
      return CHOICES.indexOf(choice) >= 0 ? choice : "system";
    } catch (error) {
      return "system"; // storage refused (private mode): follow the system
    }
  }

  // "system" leaves the attribute off: the stylesheet's prefers-color-scheme rules decide.
  function apply(choice) {
    if (choice === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = choice;
  }

  function showChoice(choice) {
    document.querySelectorAll("button[data-theme-choice]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.themeChoice === choice));
    });
  }

  apply(stored());

  document.addEventListener("DOMContentLoaded", () => {
    showChoice(stored());
    document.querySelectorAll("button[data-theme-choice]").forEach((button) => {
      button.addEventListener("click", () => {
        const choice = button.dataset.themeChoice;
        try {
          window.localStorage.setItem(KEY, choice);
        } catch (error) {
          // Not kept, but still applied to this page.
        }
        apply(choice);
        showChoice(choice);
      });
    });
  });

  // Another tab changed the theme: follow it.
  window.addEventListener("storage", (event) => {
    if (event.key !== KEY) return;
    apply(stored());
    showChoice(stored());
  });
})();
