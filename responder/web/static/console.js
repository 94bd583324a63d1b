// The counsellor console's pages: live updates from the change feed, and every
// action through /api/v1 with the session cookie and the page's CSRF token.
// Texters' words only ever reach the page through textContent, never as HTML, and
// never the tab title or a sound: those say only that something happened, and where.
"use strict";

(function () {
  // Every signed-in page carries the list of the counsellor's own conversations,
  // which holds what the script needs to follow the change feed.
  const live = document.getElementById("caseload");
  if (!live) return;
  // The page's own part; switching conversations in place puts another one here.
  let root = document.querySelector(".console-page") || document.createElement("div");

  const POLL_MS = 1000;
  const { api, say, errorText } = window.ResponderConsole;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function show(node, text) {
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  }

  function waitWords(seconds) {
    const minutes = Math.floor(seconds / 60);
    if (minutes < 1) return say("wait.under_a_minute");
    if (minutes < 60) return say("wait.minutes", { minutes });
    return say("wait.hours", { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
  }

  function agoWords(iso) {
    const minutes = Math.floor((Date.now() - new Date(iso)) / 60000);
    if (minutes < 1) return say("rail.just_now");
    if (minutes < 60) return say("rail.minutes_ago", { n: minutes });
    if (minutes < 24 * 60) return say("rail.hours_ago", { n: Math.floor(minutes / 60) });
    return say("rail.days_ago", { n: Math.floor(minutes / (24 * 60)) });
  }

  function channelName(channel) {
    return { sms: "SMS", whatsapp: "WhatsApp" }[channel] || channel;
  }

  function localTime(iso) {
    const moment = new Date(iso);
    // In the console's language, as the rest of the page, rather than the browser's.
    return moment.toLocaleString(document.documentElement.lang || undefined, {
      day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
    });
  }

  function timeElement(iso) {
    const node = element("time", "", localTime(iso));
    node.dateTime = iso;
    return node;
  }

  // Times are rendered in UTC by the server; show them in the counsellor's zone.
  function localiseTimes(scope) {
    scope.querySelectorAll("time[datetime]:not([data-ago])").forEach((node) => {
      node.textContent = localTime(node.dateTime);
    });
  }

  // The change feed: ask what changed after the cursor, about once a second. One
  // loop per page, shared by everything on it that follows changes. Everything is in
  // the database, so it works whichever worker answers.
  // A page's own followers (pageOwned) leave with it when another conversation is
  // switched in; the list of conversations stays for the whole visit.
  let followers = [];
  let pageOwned = false;
  function followChanges(onChanges) {
    followers.push({ onChanges, page: pageOwned });
  }

  // Offline, the feed backs off to one try in ten seconds and says so in one quiet line.
  const liveStatus = document.getElementById("live-status");
  function connection(failures) {
    show(liveStatus, failures >= 2 ? say("rail.offline") : "");
  }

  function startFeed() {
    let cursor = live.dataset.eventsAfter || "0";
    let failures = 0;
    async function poll() {
      try {
        const result = await api("GET", "/events?limit=200&after=" + encodeURIComponent(cursor));
        if (result.status === 200) {
          failures = 0;
          cursor = result.data.next_cursor;
          if (result.data.items.length) await changed(result.data.items);
          // A full page means more is waiting: ask again at once.
          if (result.data.items.length === 200) return poll();
        } else {
          failures += 1;
        }
      } catch (error) {
        failures += 1;
      }
      connection(failures);
      setTimeout(poll, failures ? Math.min(POLL_MS * 2 ** failures, 10000) : POLL_MS);
    }
    setTimeout(poll, POLL_MS);
  }

  // The page's own parts first (the conversation page marks what it shows read), then
  // the list of the counsellor's conversations, then at most one sound for them all.
  async function changed(items) {
    noticeActed(items);
    for (const follower of followers) {
      try {
        await follower.onChanges(items);
      } catch (error) {
        // A part that could not refresh tries again with the next change.
      }
    }
    playWanted();
  }

  // Sounds are made on the spot: no sound file to fetch. Each kind has its own pattern:
  //   queued:  two rising notes, someone joined the queue;
  //   message: one short high note, a texter wrote in a conversation you hold;
  //   crisis:  a lower falling pair, three times, crisis words came in.
  // Browsers keep audio off until the person has clicked or typed on the site; until
  // then sounds are skipped silently and the tab title still tells.
  const SOUNDS = {
    queued: { wave: "sine", volume: 0.2, length: 0.16, notes: [[660, 0], [880, 0.18]] },
    message: { wave: "sine", volume: 0.18, length: 0.12, notes: [[988, 0]] },
    crisis: {
      wave: "triangle",
      volume: 0.3,
      length: 0.2,
      notes: [[440, 0], [330, 0.24], [440, 0.6], [330, 0.84], [440, 1.2], [330, 1.44]],
    },
  };
  const URGENCY = ["queued", "message", "crisis"];
  let audio = null;
  let wanted = null;
  let played = 0;
  function unlockAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  }
  function want(kind) {
    if (wanted === null || URGENCY.indexOf(kind) > URGENCY.indexOf(wanted)) wanted = kind;
  }
  function playWanted() {
    const kind = wanted;
    wanted = null;
    if (kind === null || !audio || audio.state !== "running") return;
    const sound = SOUNDS[kind];
    const start = audio.currentTime;
    sound.notes.forEach(([frequency, offset]) => {
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.type = sound.wave;
      tone.frequency.value = frequency;
      const at = start + offset;
      volume.gain.setValueAtTime(0.0001, at);
      volume.gain.exponentialRampToValueAtTime(sound.volume, at + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, at + sound.length);
      tone.connect(volume).connect(audio.destination);
      tone.start(at);
      tone.stop(at + sound.length + 0.01);
    });
    // Which sound played last, and how many have: the browser tests read these, as
    // nobody can listen to a headless browser.
    played += 1;
    document.documentElement.dataset.lastSound = kind;
    document.documentElement.dataset.soundsPlayed = String(played);
  }
  // Created at once, it may already run when the counsellor clicked on an earlier page.
  unlockAudio();
  document.addEventListener("click", unlockAudio);
  document.addEventListener("keydown", unlockAudio);

  // The tab title says what needs the counsellor, never what anyone wrote:
  // "⚠ Crisis · (2) Queue · Helpline Responder".
  let baseTitle = document.title;
  const titleParts = { crisisHere: false, crisisUnread: false, unread: 0, arrivals: 0 };
  function retitle(changes) {
    Object.assign(titleParts, changes || {});
    const crisis = titleParts.crisisHere || titleParts.crisisUnread;
    const count = titleParts.unread + titleParts.arrivals;
    const title = (count ? "(" + count + ") " : "") + baseTitle;
    document.title = crisis ? say("rail.title_crisis", { title }) : title;
  }
  function inView() {
    return document.visibilityState === "visible";
  }

  function claimButton(button, onTaken) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      const id = button.dataset.claim;
      const result = await api("POST", "/conversations/" + id + "/claim");
      if (result.status === 200) {
        // From the queue, on to the conversation; on its own page, the page redraws.
        if (root.dataset.conversations) window.location.assign(root.dataset.conversations + id);
        else window.location.reload();
        return;
      }
      button.disabled = false;
      if (result.status === 409) onTaken(say("conversation.taken"));
      else if (result.status !== 401) onTaken(errorText(result, say("conversation.claim_failed")));
    });
  }

  // The queue page

  function queuePage() {
    const list = document.getElementById("queue-list");
    const summary = document.getElementById("queue-summary");
    const alert = document.getElementById("queue-alert");
    const switcher = document.getElementById("available");
    const meError = document.getElementById("me-error");
    const limit = root.dataset.queueLimit;
    let unseen = 0;
    let lastQueue = "";
    let waitingIds = new Set(
      Array.from(list.querySelectorAll("button[data-claim]")).map((b) => b.dataset.claim),
    );

    function seen() {
      if (inView() && document.hasFocus()) {
        unseen = 0;
        retitle({ arrivals: 0 });
      }
    }
    window.addEventListener("focus", seen);
    document.addEventListener("visibilitychange", seen);

    function fact(name, value) {
      const row = element("div");
      row.append(element("dt", "", name), element("dd", "", value));
      return row;
    }

    function queueItem(item) {
      const li = element("li", "queue-item" + (item.crisis_at ? " is-crisis" : ""));
      const marks = element("p", "marks");
      marks.append(element("span", "position", "#" + item.position));
      if (item.crisis_at) {
        marks.append(" ", element("strong", "mark mark-crisis", say("rail.crisis")));
      }
      if (item.under_18) {
        marks.append(" ", element("span", "mark mark-young", say("queue.under_18")));
      }
      marks.append(" ", element("span", "mark", say("queue.priority", { priority: item.priority })));
      (item.flags || []).forEach((label) => {
        marks.append(" ", element("span", "mark mark-flag", say("queue.flag", { label })));
      });
      const facts = element("dl", "facts");
      const waited = fact(say("queue.waiting"), waitWords(item.waiting_seconds));
      const wait = waited.querySelector("dd");
      wait.className = "wait";
      wait.dataset.waitingSeconds = item.waiting_seconds;
      facts.append(
        waited,
        fact(say("queue.channel"), channelName(item.channel)),
        fact(say("queue.country"), item.country || say("queue.country_unknown")),
        fact(say("queue.language"), item.language),
        fact(say("queue.number"), item.masked_number || say("queue.anonymised")),
      );
      const button = element("button", "claim", say("queue.claim"));
      button.type = "button";
      button.dataset.claim = item.id;
      button.setAttribute(
        "aria-label",
        say("queue.claim_label", { id: item.id, position: item.position }),
      );
      claimButton(button, (text) => show(alert, text));
      li.append(marks, facts, button);
      return li;
    }

    function waitingWords(total) {
      if (total === 0) return say("queue.nobody_waiting");
      return total === 1 ? say("queue.waiting_one") : say("queue.waiting_other", { count: total });
    }

    async function refreshQueue() {
      const result = await api("GET", "/queue?limit=" + limit);
      if (result.status !== 200) return;
      const page = result.data;
      waitingIds = new Set(page.items.map((i) => String(i.id)));
      // Redrawn only when something changed, so screen readers hear changes, not repeats.
      const shape = JSON.stringify(
        page.items.map((i) => [i.id, i.position, i.priority, i.crisis_at, i.flags]),
      );
      stampWaits();
      if (shape !== lastQueue) {
        lastQueue = shape;
        list.replaceChildren(...page.items.map(queueItem));
        summary.textContent = waitingWords(page.total);
      }
    }

    async function refreshMe() {
      const result = await api("GET", "/me");
      if (result.status !== 200) return;
      const me = result.data;
      switcher.checked = me.available;
      const count = document.querySelector("#open-count strong");
      count.textContent = say("queue.open_of", {
        open: me.open_conversations.length, max: me.max_open,
      });
    }

    // Wait times tick on the page between refreshes.
    let stampedAt = Date.now();
    function stampWaits() {
      stampedAt = Date.now();
    }
    setInterval(() => {
      const elapsed = Math.floor((Date.now() - stampedAt) / 1000);
      list.querySelectorAll(".wait").forEach((node) => {
        node.textContent = waitWords(Number(node.dataset.waitingSeconds) + elapsed);
      });
    }, 15000);

    switcher.addEventListener("change", async () => {
      const wanted = switcher.checked;
      const result = await api("PUT", "/me/availability", { available: wanted });
      if (result.status === 200) {
        show(meError, "");
        switcher.checked = result.data.available;
      } else {
        switcher.checked = !wanted;
        show(meError, errorText(result, say("queue.availability_failed")));
      }
    });
    switcher.disabled = false; // the page renders it disabled until this listener is in place

    list.querySelectorAll("button[data-claim]").forEach((button) => {
      claimButton(button, (text) => show(alert, text));
    });

    // Supervisors also see the conversations counsellors have: the server renders
    // that list, and it is fetched again whole when one is claimed, handed on or ended.
    const heldUrl = root.dataset.held;
    const heldKinds = new Set([
      "claimed", "transferred", "released", "closed", "crisis", "erased", "flagged",
    ]);
    async function refreshHeld() {
      const node = await window.ResponderConsole.redraw(heldUrl, "held");
      if (node) localiseTimes(node);
    }

    followChanges(async (items) => {
      if (heldUrl && items.some((e) => heldKinds.has(e.kind))) await refreshHeld();
      const queued = items.filter((e) => e.kind === "queued").length;
      if (queued) {
        want("queued");
        if (!(inView() && document.hasFocus())) {
          unseen += queued;
          retitle({ arrivals: unseen });
        }
      }
      await refreshQueue();
      // Crisis words from someone waiting: the crisis sound rather than the chime.
      if (items.some((e) => e.kind === "crisis" && waitingIds.has(String(e.conversation_id)))) {
        want("crisis");
      }
      await refreshMe();
    });
  }

  // The conversation page

  function conversationPage(switched) {
    const id = root.dataset.conversationId;
    const words = JSON.parse(root.dataset.statusWords);
    // The reasons the helpline names, from their stored English to the page's language.
    const reasons = JSON.parse(root.dataset.reasonWords);
    const gsm7 = JSON.parse(root.dataset.gsm7);
    const basic = new Set(Array.from(gsm7.basic));
    const extension = new Set(Array.from(gsm7.extension));
    const pageAlert = document.getElementById("page-alert");
    const transcript = document.getElementById("transcript");
    const replyBox = document.getElementById("reply-body");
    const banner = document.getElementById("crisis-banner");
    const priority = document.getElementById("priority");
    const mine = root.dataset.mine === "yes";

    function deliveryWords(message) {
      const word = words[message.status] || message.status;
      const stored = message.error_message;
      if (!stored) return word;
      const reason = Object.prototype.hasOwnProperty.call(reasons, stored) ? reasons[stored] : stored;
      const waiting = message.status === "pending" || message.status === "sending";
      return say(waiting ? "delivery.waiting" : "delivery.stopped", { status: word, reason });
    }

    function authorKind(author) {
      return author === "texter" || author === "bot" ? author : "counsellor";
    }

    function bodyOf(body) {
      const text = element("p", "body");
      if (body === null) text.append(element("em", "", say("conversation.erased_body")));
      else text.textContent = body;
      return text;
    }

    function entry(className, author, at, body) {
      const li = element("li", className);
      const meta = element("p", "meta");
      meta.append(element("span", "author", author), " ", timeElement(at));
      li.append(meta, bodyOf(body));
      return li;
    }

    function noteItem(note) {
      const li = entry("note", note.author, note.created_at, note.body);
      li.querySelector(".meta").prepend(
        element("span", "note-mark", say("conversation.private_note")), " ",
      );
      return li;
    }

    // A bot's page folds to its first line, the page's title (bold on WhatsApp).
    function pageTitle(body) {
      if (body === null) return say("conversation.page_erased");
      const first = body.trim().split("\n")[0].trim().replace(/^\*+|\*+$/g, "").trim();
      if (first.length <= 40) return first || say("conversation.page_empty");
      // Notices that are not pages have no title line: their first words stand for them.
      const cut = first.slice(0, 41);
      const space = cut.lastIndexOf(" ");
      return (space > 20 ? cut.slice(0, space) : cut.slice(0, 40)).trimEnd() + "\u2026";
    }

    function botItem(message, open) {
      const li = element("li", "message from-bot");
      li.dataset.messageId = message.id;
      const fold = element("details", "bot-page");
      fold.open = open;
      const summary = element("summary", "meta");
      summary.append(
        element("span", "author", say("conversation.author_bot")),
        element("span", "fold-title", ": " + pageTitle(message.body)),
        " ",
        timeElement(message.created_at),
      );
      fold.append(summary, bodyOf(message.body));
      if (message.status) {
        fold.append(element("p", "delivery delivery-" + message.status, deliveryWords(message)));
      }
      li.append(fold);
      return li;
    }

    function messageItem(message, opened) {
      if (message.author === "bot") return botItem(message, opened.has(String(message.id)));
      const li = entry(
        "message from-" + authorKind(message.author),
        message.author === "texter" ? say("conversation.author_texter") : message.author,
        message.created_at,
        message.body,
      );
      if (message.status) {
        li.append(element("p", "delivery delivery-" + message.status, deliveryWords(message)));
      }
      return li;
    }

    // Messages and private notes in one timeline, in time order.
    function timeline(view) {
      const opened = new Set(
        Array.from(transcript.querySelectorAll("li[data-message-id] details[open]")).map(
          (node) => node.parentElement.dataset.messageId,
        ),
      );
      const entries = view.messages.map((m) => [m.created_at, messageItem(m, opened)]).concat(
        view.notes.map((n) => [n.created_at, noteItem(n)]),
      );
      entries.sort((a, b) => new Date(a[0]) - new Date(b[0]));
      return entries.map((pair) => pair[1]);
    }

    // The transcript opens at the newest message and follows new ones, unless the
    // counsellor has scrolled up to read: then a button says there is more below.
    const pane = document.getElementById("transcript-pane");
    const newBelow = document.getElementById("new-below");
    function atBottom() {
      return pane.scrollHeight - pane.scrollTop - pane.clientHeight < 48;
    }
    function toBottom() {
      pane.scrollTop = pane.scrollHeight;
      newBelow.hidden = true;
    }
    toBottom();
    pane.addEventListener("scroll", () => {
      if (atBottom()) newBelow.hidden = true;
    });
    newBelow.addEventListener("click", () => {
      toBottom();
      pane.focus();
    });

    // WhatsApp lets free-form replies through for 24 hours after the texter's last message.
    const windowNode = document.getElementById("window");
    function showWindow() {
      if (!windowNode || !windowNode.dataset.ends) return;
      const left = Math.floor((new Date(windowNode.dataset.ends) - Date.now()) / 1000);
      if (left >= 60) {
        windowNode.textContent = say("conversation.window_open", { left: waitWords(left) });
      } else if (left > 0) windowNode.textContent = say("conversation.window_closing");
      else if (root.dataset.templateReady === "yes") {
        windowNode.textContent = say("conversation.window_template");
      } else {
        windowNode.textContent = say("conversation.window_closed");
      }
    }
    showWindow();
    pageTimers.push(setInterval(showWindow, 30000));

    // Crisis words show as a banner at the top and in the tab title for as long as the
    // page is open, in calm words: never the words that matched, which are not kept.
    function showCrisis(crisisAt) {
      retitle({ crisisHere: Boolean(crisisAt) });
      if (!crisisAt || !banner.hidden) return;
      const line = element("p");
      // The time is an element of its own: the phrase is split where it stands.
      const [before, after] = say("conversation.crisis_when").split("{time}");
      line.append(
        element("strong", "", say("conversation.crisis_banner")),
        ", " + before,
        timeElement(crisisAt),
        after,
      );
      banner.replaceChildren(line);
      banner.hidden = false;
    }
    showCrisis(root.dataset.crisisAt);

    // What the page shows is read once it is in view: the server keeps how far, for
    // the counsellor's other tabs and pages (see responder/caseload.py).
    let readUpTo = Number(root.dataset.readUpTo || 0);
    let shownUpTo = readUpTo;
    let texterShownUpTo = readUpTo;
    async function markRead() {
      if (!inView() || texterShownUpTo <= readUpTo) return;
      const result = await api("POST", "/conversations/" + id + "/read", { up_to: shownUpTo });
      if (result.status !== 200) return;
      readUpTo = result.data.up_to;
      tellOtherTabs();
    }
    beforeCaseload = markRead;
    // The server marked what it rendered read: the counsellor's other tabs catch up.
    tellOtherTabs();

    let lastShown = "";
    async function refresh() {
      const result = await api("GET", "/conversations/" + id);
      if (result.status === 403 || result.status === 404) {
        show(pageAlert, say("conversation.gone"));
        root.querySelectorAll("form button, button[data-claim]").forEach((b) => (b.disabled = true));
        return;
      }
      if (result.status !== 200) return;
      const view = result.data;
      if (view.state !== root.dataset.state || (view.counsellor || "") !== root.dataset.counsellor) {
        // Claimed, handed over or finished elsewhere: the controls on the page are
        // no longer the right ones. The reply being written is kept in the box.
        if (replyBox && replyBox.value) sessionStorage.setItem("reply-" + id, replyBox.value);
        window.location.reload();
        return;
      }
      showCrisis(view.crisis_at);
      priority.textContent = String(view.priority);
      const fromTexter = view.messages.filter((m) => m.direction === "in");
      const newest = fromTexter.length ? fromTexter[fromTexter.length - 1].id : 0;
      // A texter writing in a conversation the counsellor holds is heard even here:
      // the newest message may be far below what they are reading.
      if (mine && newest > texterShownUpTo) want("message");
      texterShownUpTo = Math.max(texterShownUpTo, newest);
      if (view.messages.length) {
        shownUpTo = Math.max(shownUpTo, view.messages[view.messages.length - 1].id);
      }
      const shape = JSON.stringify([view.messages, view.notes]);
      if (shape !== lastShown) {
        const following = atBottom();
        const before = transcript.children.length;
        lastShown = shape;
        transcript.replaceChildren(...timeline(view));
        if (following) toBottom();
        else if (transcript.children.length > before) newBelow.hidden = false;
        if (windowNode && view.whatsapp_window_ends_at) {
          windowNode.dataset.ends = view.whatsapp_window_ends_at;
          showWindow();
        }
      }
      await markRead();
    }

    // The SMS counter mirrors responder/sms.py: one character outside GSM-7 sends
    // the whole message as UCS-2, 70 characters a segment instead of 160.
    function encode(text) {
      const characters = Array.from(text);
      const outside = [...new Set(characters.filter((c) => !basic.has(c) && !extension.has(c)))];
      if (!outside.length) {
        const units = characters.reduce((sum, c) => sum + (extension.has(c) ? 2 : 1), 0);
        return { characters: characters.length, segments: segments(units, 160, 153), outside };
      }
      // UCS-2 counts UTF-16 code units, as JavaScript strings do.
      return { characters: characters.length, segments: segments(text.length, 70, 67), outside };
    }
    function segments(units, single, part) {
      return units <= single ? 1 : Math.ceil(units / part);
    }
    function named(character) {
      const code = character.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
      return "\u201c" + character + "\u201d (U+" + code + ")";
    }

    const count = document.getElementById("reply-count");
    const warning = document.getElementById("reply-warning");
    function countReply() {
      if (!replyBox) return;
      const text = replyBox.value;
      if (root.dataset.channel !== "sms") {
        const length = Array.from(text).length;
        const chars = length === 1 ? "conversation.chars_one" : "conversation.chars_other";
        count.textContent = say(chars, { n: length });
        return;
      }
      const sms = encode(text);
      const counted = sms.characters === 1 ? "conversation.sms_one" : "conversation.sms_other";
      count.textContent = say(counted, { n: sms.characters, sms: sms.segments });
      if (sms.outside.length) {
        show(
          warning,
          say(sms.outside.length === 1 ? "conversation.gsm_one" : "conversation.gsm_other", {
            characters: sms.outside.map(named).join(", "),
          }),
        );
      } else {
        show(warning, "");
      }
    }

    if (replyBox) {
      const kept = sessionStorage.getItem("reply-" + id);
      if (kept) {
        replyBox.value = kept;
        sessionStorage.removeItem("reply-" + id);
      }
      replyBox.addEventListener("input", countReply);
      countReply();
    }

    // Canned replies and local help go where the cursor is, ready to edit.
    document.querySelectorAll("button[data-insert]").forEach((button) => {
      button.addEventListener("click", () => {
        if (!replyBox) return;
        const text = button.dataset.insert;
        const start = replyBox.selectionStart;
        const end = replyBox.selectionEnd;
        const before = replyBox.value.slice(0, start);
        const spacer = before && !/\s$/.test(before) ? " " : "";
        replyBox.setRangeText(spacer + text, start, end, "end");
        replyBox.focus();
        countReply();
      });
    });

    function onSubmit(formId, errorId, action) {
      const form = document.getElementById(formId);
      if (!form) return;
      const error = document.getElementById(errorId);
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        try {
          const problem = await action(form);
          show(error, problem || "");
        } catch (failure) {
          show(error, say("conversation.unreachable"));
        } finally {
          button.disabled = false;
        }
      });
    }

    const base = "/conversations/" + id;
    onSubmit("reply-form", "reply-error", async () => {
      const result = await api("POST", base + "/messages", { body: replyBox.value });
      if (result.status !== 202) return errorText(result, say("conversation.reply_failed"));
      replyBox.value = "";
      countReply();
      await refresh();
      toBottom(); // what was just sent is in sight, wherever the counsellor was reading
      return "";
    });
    // Enter sends, as in a chat; Shift+Enter starts a new line.
    if (replyBox) {
      replyBox.addEventListener("keydown", (event) => {
        if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
        if (event.altKey || event.ctrlKey || event.metaKey) return;
        event.preventDefault();
        if (replyBox.value.trim()) document.getElementById("reply-form").requestSubmit();
      });
    }
    onSubmit("note-form", "note-error", async (form) => {
      const box = form.querySelector("textarea");
      const result = await api("POST", base + "/notes", { body: box.value });
      if (result.status !== 201) return errorText(result, say("conversation.note_failed"));
      box.value = "";
      await refresh();
      return "";
    });
    // Handing over ends the counsellor's part: back to the queue. A closed
    // conversation stays theirs, so its page redraws to show it closed.
    function finish(path, body, then) {
      return async () => {
        const result = await api("POST", base + path, body && body());
        if (result.status !== 200) return errorText(result, say("conversation.failed"));
        if (then === "stay") window.location.reload();
        else window.location.assign(root.dataset.queue);
        return "";
      };
    }
    releaseStep(finish("/release"));

    document.querySelectorAll("button[data-claim]").forEach((button) => {
      claimButton(button, (text) => show(pageAlert, text));
    });

    // Releasing asks once more, on the page, saying what the texter will receive.
    // Cancel (or Escape) sends nothing and puts the keyboard back where it was.
    function releaseStep(release) {
      const form = document.getElementById("release-form");
      if (!form) return;
      const ask = document.getElementById("release-confirm");
      const start = form.querySelector("button[type=submit]");
      const yes = document.getElementById("release-yes");
      const no = document.getElementById("release-no");
      const error = document.getElementById("action-error");
      function cancel() {
        ask.hidden = true;
        start.hidden = false;
        start.focus();
      }
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        start.hidden = true;
        ask.hidden = false;
        no.focus();
      });
      no.addEventListener("click", cancel);
      ask.addEventListener("keydown", (event) => {
        if (event.key === "Escape") cancel();
      });
      yes.addEventListener("click", async () => {
        yes.disabled = no.disabled = true;
        try {
          show(error, await release());
        } catch (failure) {
          show(error, say("conversation.unreachable"));
        } finally {
          yes.disabled = no.disabled = false;
        }
      });
    }

    // Blocking and lifting take two presses: the first says what will happen, the
    // second does it. Pressing another, or waiting ten seconds, takes the first one back.
    const blockStatus = document.getElementById("block-status");
    const blockError = document.getElementById("block-error");
    const blockControls = document.getElementById("block-controls");
    const unblockControls = document.getElementById("unblock-controls");
    const blockedNode = document.getElementById("blocked");
    let armed = null;
    let disarmTimer = null;
    // What each button says, by its hours ("" is until lifted): whole sentences, as a
    // language may not build them from the same parts.
    const BLOCKED = {
      24: "conversation.blocked_24",
      168: "conversation.blocked_168",
      "": "conversation.blocked_lifted",
    };
    const ASK_BLOCK = {
      24: "conversation.ask_block_24",
      168: "conversation.ask_block_168",
      "": "conversation.ask_block_lifted",
    };

    function disarm() {
      if (!armed) return;
      armed.textContent = armed.dataset.label;
      armed = null;
      clearTimeout(disarmTimer);
    }

    function showBlocked(view) {
      if (!view.blocked) blockedNode.textContent = say("conversation.blocked_no");
      else if (!view.blocked_until) {
        blockedNode.textContent = say("conversation.blocked_until_lifted");
      } else {
        const [before, after] = say("conversation.blocked_until").split("{time}");
        blockedNode.replaceChildren(before, timeElement(view.blocked_until), after);
      }
      blockControls.hidden = view.blocked;
      unblockControls.hidden = !view.blocked;
      // The pressed button has just been hidden: keep the keyboard in the section.
      const next = (view.blocked ? unblockControls : blockControls).querySelector("button");
      if (next) next.focus();
    }

    async function sendBlock(button) {
      const lifting = button.dataset.unblock !== undefined;
      const hours = button.dataset.block === "" ? null : Number(button.dataset.block);
      const result = lifting
        ? await api("POST", base + "/unblock")
        : await api("POST", base + "/block", { hours });
      if (result.status !== 200) {
        show(blockError, errorText(result, say("conversation.failed")));
        blockStatus.textContent = "";
        return;
      }
      show(blockError, "");
      showBlocked(result.data);
      let said = say(lifting ? "conversation.lifted" : BLOCKED[button.dataset.block]);
      if (result.data.state !== root.dataset.state) said += " " + say("conversation.out_of_queue");
      blockStatus.textContent = said;
    }

    document.querySelectorAll("button[data-block], button[data-unblock]").forEach((button) => {
      button.dataset.label = button.textContent;
      button.addEventListener("click", async () => {
        if (armed !== button) {
          disarm();
          armed = button;
          const lifting = button.dataset.unblock !== undefined;
          const again = lifting ? "conversation.again_unblock" : "conversation.again_block";
          button.textContent = say(again);
          blockStatus.textContent = say(
            lifting ? "conversation.ask_unblock" : ASK_BLOCK[button.dataset.block],
          );
          disarmTimer = setTimeout(() => {
            disarm();
            blockStatus.textContent = "";
          }, 10000);
          return;
        }
        disarm();
        button.disabled = true;
        try {
          await sendBlock(button);
        } catch (failure) {
          show(blockError, say("conversation.unreachable"));
        } finally {
          button.disabled = false;
        }
      });
    });

    followChanges(async (items) => {
      const here = items.filter((e) => String(e.conversation_id) === id);
      if (!here.length) return;
      if (here.some((e) => e.kind === "crisis")) want("crisis");
      await refresh();
    });
    // Switched in without a page load: catch up with what changed while it was fetched.
    if (switched) refresh().catch(() => {});
  }

  // The counsellor's own conversations, on every page: unread counts, crisis marks,
  // the tab title and the message sound.

  function caseloadPart() {
    const list = document.getElementById("caseload-list");
    const none = document.getElementById("caseload-none");
    const news = document.getElementById("caseload-news");
    const kinds = new Set([
      "message", "crisis", "claimed", "transferred", "released", "closed", "erased", "flagged",
    ]);
    // Any of these may bring a conversation to the counsellor, or take one away.
    const arriving = new Set(["claimed", "transferred", "erased"]);
    let held = Array.from(list.children).map((li) => ({
      id: Number(li.dataset.conversationId),
      unread: Number(li.dataset.unread),
      crisis_at: li.dataset.crisis === "yes",
      crisis_unread: li.dataset.crisisUnread === "yes",
    }));
    let lastShape = shapeOf(held);

    function shapeOf(conversations) {
      return JSON.stringify(
        conversations.map((c) => [
          c.id, c.unread, Boolean(c.crisis_at), c.last_message_preview, c.last_message_at,
          c.flags || [],
        ]),
      );
    }

    function showTitle() {
      retitle({
        unread: held.reduce((sum, c) => sum + c.unread, 0),
        crisisUnread: held.some((c) => c.crisis_unread),
      });
    }

    // The preview is what the texter wrote: text only, never markup.
    function item(conversation) {
      const li = element("li", "caseload-item" + (conversation.crisis_at ? " is-crisis" : ""));
      li.dataset.conversationId = conversation.id;
      const line = element("p", "line");
      const link = element("a", "", say("rail.conversation", { id: conversation.id }));
      link.href = live.dataset.conversations + conversation.id;
      if (link.pathname === window.location.pathname) link.setAttribute("aria-current", "page");
      line.append(link);
      if (conversation.crisis_at) {
        line.append(" ", element("strong", "mark mark-crisis", say("rail.crisis")));
      }
      if (conversation.unread) {
        const unread = conversation.unread === 1 ? "rail.unread_one" : "rail.unread_other";
        const count = say(unread, { n: conversation.unread });
        line.append(" ", element("span", "mark mark-unread", count));
      }
      (conversation.flags || []).forEach((flag) => {
        line.append(" ", element("span", "mark mark-flag", String(flag)));
      });
      li.append(line);
      const preview = conversation.last_message_preview;
      if (preview !== null && preview !== undefined) {
        li.append(element("p", "preview", "\u201c" + preview + "\u201d"));
      }
      if (conversation.last_message_at) {
        const when = element("time", "", agoWords(conversation.last_message_at));
        when.dateTime = conversation.last_message_at;
        when.dataset.ago = "yes";
        li.append(element("p", "ago"));
        li.lastChild.append(when);
      }
      return li;
    }

    async function refresh() {
      const result = await api("GET", "/me/conversations");
      if (result.status !== 200) return;
      const before = new Map(held.map((c) => [c.id, c]));
      held = result.data.items;
      const wrote = held.filter((c) => c.unread > (before.has(c.id) ? before.get(c.id).unread : 0));
      const marked = held.filter((c) => c.crisis_at && !(before.get(c.id) || {}).crisis_at);
      if (wrote.length) want("message");
      // Said once to screen readers, in words that hold nothing anyone wrote.
      if (marked.length) news.textContent = say("rail.crisis_news", { id: marked[0].id });
      else if (wrote.length) news.textContent = say("rail.wrote_news", { id: wrote[0].id });
      const shape = shapeOf(held);
      if (shape !== lastShape) {
        lastShape = shape;
        list.replaceChildren(...held.map(item));
        none.hidden = held.length > 0;
      }
      showTitle();
    }

    // A supervisor (or anyone else) closing, releasing or handing on a conversation the
    // counsellor holds is said in words, and kept across the page load that follows.
    const acted = document.getElementById("acted");
    const actedWords = {
      closed: "rail.closed_by", released: "rail.released_by", transferred: "rail.transferred_by",
      note: "rail.noted_by",
    };
    function showActed(lines) {
      lines.forEach((text) => {
        const note = element("p", "error", text + " ");
        const dismiss = element("button", "quiet", say("rail.dismiss"));
        dismiss.type = "button";
        dismiss.addEventListener("click", () => note.remove());
        note.append(dismiss);
        acted.append(note);
      });
    }
    function actedOn(items, mine) {
      const me = live.dataset.me;
      const lines = items
        .filter((e) => actedWords[e.kind] && mine.has(String(e.conversation_id)))
        .filter((e) => typeof e.actor === "string" && e.actor && e.actor !== me)
        .map((e) => say(actedWords[e.kind], { id: e.conversation_id, actor: e.actor }));
      if (!lines.length) return;
      showActed(lines);
      const kept = JSON.parse(sessionStorage.getItem("acted") || "[]");
      sessionStorage.setItem("acted", JSON.stringify(kept.concat(lines)));
    }
    noticeActed = (items) => actedOn(items, new Set(held.map((c) => String(c.id))));
    refreshCaseload = refresh;
    showActed(JSON.parse(sessionStorage.getItem("acted") || "[]"));
    sessionStorage.removeItem("acted");

    // How long ago the texter wrote, kept roughly true between changes.
    setInterval(() => {
      list.querySelectorAll("time[data-ago]").forEach((node) => {
        node.textContent = agoWords(node.dateTime);
      });
    }, 20000);

    followChanges(async (items) => {
      const mine = new Set(held.map((c) => String(c.id)));

      const relevant = items.filter(
        (e) => kinds.has(e.kind) && (mine.has(String(e.conversation_id)) || arriving.has(e.kind)),
      );
      if (!relevant.length) return;
      if (relevant.some((e) => e.kind === "crisis" && mine.has(String(e.conversation_id)))) {
        want("crisis");
      }
      await refresh();
    });

    // Reading happens in other tabs too, and on other computers, without an event of
    // its own: catch up when this tab comes back into view, when another tab of this
    // browser has read something, and now and then.
    async function catchUp() {
      try {
        await beforeCaseload();
        await refresh();
      } catch (error) {
        // Offline: the feed says so, and the next change tries again.
      }
    }
    document.addEventListener("visibilitychange", () => {
      if (inView()) catchUp();
    });
    if (otherTabs) otherTabs.addEventListener("message", catchUp);
    setInterval(catchUp, 30000);
    showTitle();
  }

  // Tabs of one browser tell each other that something was read, and nothing more.
  const otherTabs = "BroadcastChannel" in window ? new BroadcastChannel("console-reads") : null;
  function tellOtherTabs() {
    if (otherTabs) otherTabs.postMessage("read");
  }
  let beforeCaseload = async () => {};
  let noticeActed = () => {};
  let refreshCaseload = async () => {};
  let pageTimers = [];

  // Switching between conversations without a page load: the conversation's page is
  // fetched and put in place of the current one; the list of conversations, the change
  // feed and the sounds carry on. Without the script the links are plain links.
  function startConversationPage(switched) {
    pageOwned = true;
    try {
      conversationPage(switched);
    } finally {
      pageOwned = false;
    }
  }

  function leavePage() {
    followers = followers.filter((f) => !f.page);
    pageTimers.forEach(clearInterval);
    pageTimers = [];
    beforeCaseload = async () => {};
    const box = document.getElementById("reply-body");
    if (box && box.value) sessionStorage.setItem("reply-" + root.dataset.conversationId, box.value);
  }

  function markCurrent() {
    live.querySelectorAll("#caseload-list a").forEach((link) => {
      if (link.pathname === window.location.pathname) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
  }

  async function switchTo(url, push) {
    if (root.dataset.page !== "conversation") {
      window.location.assign(url);
      return;
    }
    let fresh = null;
    let title = "";
    try {
      const response = await fetch(url, {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" },
      });
      if (response.status === 200 && !response.redirected) {
        // Parsed as an inert document: nothing in it runs, and it is the server's escaped HTML.
        const doc = new DOMParser().parseFromString(await response.text(), "text/html");
        const page = doc.querySelector("#main .console-page");
        if (page && page.dataset.page === "conversation") fresh = doc.getElementById("main");
        title = doc.title;
      }
    } catch (error) {
      fresh = null;
    }
    if (!fresh) {
      window.location.assign(url); // anything unexpected: an ordinary page load says it
      return;
    }
    leavePage();
    window.ResponderConsole.leaving();
    const main = document.getElementById("main");
    main.replaceChildren(...Array.from(fresh.childNodes).map((n) => document.importNode(n, true)));
    if (push) history.pushState({ conversation: url }, "", url);
    root = main.querySelector(".console-page");
    baseTitle = title;
    titleParts.crisisHere = false;
    localiseTimes(main);
    markCurrent();
    startConversationPage(true);
    window.ResponderConsole.switchedIn();
    retitle();
    // The server read the conversation as it sent the page; the list says so at once.
    refreshCaseload().catch(() => {});
    const box = document.getElementById("reply-body");
    (box || main).focus();
  }

  function isConversation(url) {
    return url.pathname.startsWith(live.dataset.conversations) &&
      /^\d+$/.test(url.pathname.slice(live.dataset.conversations.length));
  }

  live.addEventListener("click", (event) => {
    const link = event.target.closest("#caseload-list a");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey ||
        event.altKey || root.dataset.page !== "conversation") {
      return;
    }
    event.preventDefault();
    switchTo(link.href, link.pathname !== window.location.pathname);
  });
  window.addEventListener("popstate", () => {
    if (root.dataset.page === "conversation" && isConversation(window.location)) {
      switchTo(window.location.href, false);
    } else {
      window.location.reload();
    }
  });

  // Keys: Alt+1..Alt+3 open the first three conversations of the list; "/" in an empty
  // reply box, or outside any text field, goes to the canned replies.
  function typing(node) {
    return node && (node.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(node.tagName));
  }
  document.addEventListener("keydown", (event) => {
    const digit = /^Digit([1-3])$/.exec(event.code || "");
    if (digit && event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      const link = live.querySelectorAll("#caseload-list > li a")[Number(digit[1]) - 1];
      if (!link) return;
      event.preventDefault();
      switchTo(link.href, link.pathname !== window.location.pathname);
      return;
    }
    if (event.key !== "/" || event.altKey || event.ctrlKey || event.metaKey) return;
    const active = document.activeElement;
    const emptyReply = active && active.id === "reply-body" && !active.value;
    if (typing(active) && !emptyReply) return;
    const canned = document.getElementById("canned");
    if (!canned) return;
    event.preventDefault();
    const first = canned.querySelector("button");
    canned.scrollIntoView({ block: "nearest" });
    (first || canned).focus();
  });

  // Other pages' scripts (the supervisors' board) follow the same feed.
  window.ResponderConsole.follow = followChanges;
  localiseTimes(document);
  // The page's own part follows the feed first, so the list of conversations after it
  // already knows what the page has just marked read.
  if (root.dataset.page === "queue") queuePage();
  else if (root.dataset.page === "conversation") startConversationPage(false);
  caseloadPart();
  startFeed();
})();
