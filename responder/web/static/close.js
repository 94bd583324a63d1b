// Closing a conversation with its wrap-up: sextortion's questions only when a sextortion
// category is chosen, required answers checked at their field, a confirm step that
// says what the texter will receive, then the API, then back to the queue.
"use strict";

window.ResponderConsole.part(() => {
  const { api, say, errorText } = window.ResponderConsole;
  const form = document.getElementById("close-form");
  if (!form) return;
  const page = document.querySelector(".console-page");
  const conversationId = form.dataset.conversationId;

  const questions = document.getElementById("wrapup-questions");
  const sextortionSet = document.getElementById("wrapup-sextortion");
  const sextortionIds = new Set(form.dataset.sextortion.split(" "));
  const maxCategories = Number(form.dataset.maxCategories);
  const incident = [
    "first_contact_platform", "threat_platform", "money_demanded", "money_paid",
    "images_shared", "deadline_given",
  ];
  const single = ["contact_type", ...incident, "age_band", "gender"];
  const formError = document.getElementById("close-error");
  const confirmBox = document.getElementById("close-confirm");
  const confirmHeading = document.getElementById("close-confirm-heading");
  const confirmText = document.getElementById("close-confirm-text");
  const confirmButton = document.getElementById("close-confirmed");
  const backButton = document.getElementById("close-back");
  const WITHHELD = { opted_out: "close.withheld.opted_out", blocked: "close.withheld.blocked" };

  function show(node, text) {
    node.textContent = text || "";
    node.hidden = !text;
  }

  function chosenCategories() {
    return new FormData(form).getAll("categories");
  }

  function sextortionChosen() {
    return chosenCategories().some((id) => sextortionIds.has(id));
  }

  // Hidden and disabled together, so hidden questions are neither reached nor sent.
  function showSextortion() {
    const shown = sextortionChosen();
    sextortionSet.hidden = !shown;
    sextortionSet.disabled = !shown;
  }

  function wrapupOf() {
    const data = new FormData(form);
    const wrapup = {};
    single.forEach((name) => {
      const value = data.get(name);
      if (value) wrapup[name] = value;
    });
    wrapup.categories = data.getAll("categories");
    wrapup.referrals = data.getAll("referrals");
    const summary = (data.get("summary") || "").trim();
    if (summary) wrapup.summary = summary;
    return wrapup;
  }

  // The required answers, checked here so the counsellor hears of them before
  // confirming; the server checks everything again and its errors show the same way.
  function missing(wrapup) {
    const problems = {};
    const choose = say("wrapup.problem.choose_one");
    ["contact_type", "age_band", "gender"].forEach((name) => {
      if (!wrapup[name]) problems[name] = choose;
    });
    const counselling = ["about_self", "about_other"].includes(wrapup.contact_type);
    if (wrapup.categories.length > maxCategories) {
      problems.categories = say("wrapup.problem.too_many", { most: maxCategories });
    } else if (counselling && !wrapup.categories.length) {
      problems.categories = say("wrapup.problem.none_for_counselling");
    }
    if (sextortionChosen()) {
      incident.forEach((name) => {
        if (!wrapup[name]) problems[name] = say("wrapup.problem.sextortion_unanswered");
      });
    }
    return problems;
  }

  function questionWords(name) {
    const holder = form.querySelector('[data-question="' + name + '"]');
    const words = holder && holder.querySelector("legend, label");
    return words ? words.firstChild.textContent.trim() : name;
  }

  function clearErrors() {
    show(formError, "");
    form.querySelectorAll(".field-error").forEach((node) => show(node, ""));
    form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  }

  // Each message goes beside its question, and its inputs are marked invalid; the
  // alert above says how many, and the first wrong answer takes the focus.
  function showErrors(problems, fromServer) {
    clearErrors();
    const names = Object.keys(problems);
    let first = null;
    const elsewhere = [];
    names.forEach((name) => {
      const node = document.getElementById("wrapup-" + name + "-error");
      if (!node) {
        elsewhere.push(problems[name]);
        return;
      }
      const text = problems[name];
      show(node, fromServer ? text : say("wrapup.problem.at", { question: questionWords(name), problem: text }));
      const holder = node.closest("[data-question]");
      holder.querySelectorAll("input, select, textarea").forEach((input) => {
        input.setAttribute("aria-invalid", "true");
        if (!first) first = input;
      });
    });
    const count = names.length === 1
      ? say("close.needs_look_one")
      : say("close.needs_look_other", { count: names.length });
    show(formError, [count, ...elsewhere].join(" "));
    if (first) first.focus();
  }

  // What the texter will actually receive: a texter who sent STOP or is blocked gets
  // nothing, not even a survey that was ticked (the page says which, data-survey-withheld).
  function confirmLine(survey) {
    if (!survey) return say("close.nothing_sent");
    const withheld = WITHHELD[form.dataset.surveyWithheld];
    if (withheld) return say(withheld);
    return say("close.will_receive", { question: form.dataset.surveyQuestion });
  }

  function review() {
    clearErrors();
    const wrapup = wrapupOf();
    const problems = missing(wrapup);
    if (Object.keys(problems).length) {
      showErrors(problems, false);
      return;
    }
    confirmText.textContent = confirmLine(document.getElementById("close-survey").checked);
    questions.hidden = true;
    confirmBox.hidden = false;
    confirmHeading.focus();
  }

  function back() {
    confirmBox.hidden = true;
    questions.hidden = false;
    document.getElementById("close-review").focus();
  }

  async function send() {
    confirmButton.disabled = true;
    try {
      const body = { wrapup: wrapupOf(), survey: document.getElementById("close-survey").checked };
      const result = await api("POST", "/conversations/" + conversationId + "/close", body);
      if (result.status === 200) {
        // The change feed must not reload this page while the queue opens.
        if (page) page.dataset.state = "closed";
        window.location.assign(form.dataset.queue);
        return;
      }
      back();
      if (result.status === 422 && result.data && result.data.fields) {
        showErrors(result.data.fields, true);
      } else {
        show(formError, errorText(result, say("close.not_closed")));
      }
    } catch (failure) {
      back();
      show(formError, say("close.unreachable"));
    } finally {
      confirmButton.disabled = false;
    }
  }

  form.addEventListener("change", (event) => {
    if (event.target.name === "categories") showSextortion();
  });
  // Without this script the form posts to the console, which confirms the same way.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (event.submitter === confirmButton) send();
    else if (event.submitter === backButton) back();
    else review();
  });
  showSextortion();
});
