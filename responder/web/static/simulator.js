// Sends what is typed to /simulator/send and shows the helpline's replies like a phone,
// and every two seconds fetches the messages sent later (a counsellor's, reminders).
(function () {
  const thread = document.getElementById("thread");
  const body = document.getElementById("body");
  const number = document.getElementById("number");
  const channel = document.getElementById("channel");

  function bubble(kind, text, whatsapp) {
    const item = document.createElement("li");
    item.className = kind;
    const bold = whatsapp === undefined ? channel.value === "whatsapp" : whatsapp;
    if (kind === "in" && bold) {
      // WhatsApp shows *text* in bold; SMS shows the asterisks as typed.
      text.split(/(\*[^*\n]+\*)/).forEach(function (part) {
        if (/^\*[^*\n]+\*$/.test(part)) {
          const strong = document.createElement("strong");
          strong.textContent = part.slice(1, -1);
          item.appendChild(strong);
        } else {
          item.appendChild(document.createTextNode(part));
        }
      });
    } else {
      item.textContent = text;
    }
    thread.appendChild(item);
    thread.scrollTop = thread.scrollHeight;
  }

  async function send(text, media) {
    bubble("out", media ? "[photo]" + (text ? " " + text : "") : text);
    let response;
    try {
      response = await fetch("send", {
        method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({from: number.value, channel: channel.value, body: text, media: media}),
      });
    } catch (error) {
      bubble("system", "Could not reach the helpline.");
      return;
    }
    const data = await response.json();
    if (!response.ok) {
      bubble("system", data.error || "The helpline refused the message.");
      return;
    }
    if (data.replies.length === 0) {
      bubble("system", "(no reply)");
    }
    data.replies.forEach(function (reply) { bubble("in", reply); });
  }

  document.getElementById("compose").addEventListener("submit", function (event) {
    event.preventDefault();
    const text = body.value;
    body.value = "";
    send(text, false);
  });
  document.getElementById("photo").addEventListener("click", function () { send("", true); });
  channel.addEventListener("change", function () {
    document.body.classList.toggle("whatsapp", channel.value === "whatsapp");
  });

  // The development transport "delivers" outbox messages to the simulator; the first
  // poll for a number only learns the cursor, so earlier messages are not replayed.
  let cursor = null;
  async function poll() {
    const query = "messages?from=" + encodeURIComponent(number.value) +
      (cursor === null ? "" : "&after=" + cursor);
    try {
      const response = await fetch(query);
      if (response.ok) {
        const data = await response.json();
        data.messages.forEach(function (message) {
          const text = message.template
            ? "(WhatsApp template: an invitation to write back)"
            : message.body;
          bubble("in", text, message.whatsapp);
        });
        cursor = data.cursor;
      }
    } catch (error) {
      // The helpline is restarting or unreachable: the next poll tries again.
    }
    setTimeout(poll, 2000);
  }
  number.addEventListener("change", function () { cursor = null; });
  poll();
})();
