// The web chat: every text from the server is shown with textContent, never as HTML.
// Who is writing is this browser's HttpOnly cookie, set with the page: the script never sees it.
"use strict";

const log = document.getElementById("log");
const form = document.getElementById("composer");
const input = document.getElementById("text");
let chat = 0;  // which conversation the page shows; "restart" starts the next one

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  node.dir = "auto";
  return node;
}

function show(role, text, buttons) {
  const item = element("li", role, text);
  if (buttons && buttons.length) {
    const row = element("div", "choices");
    for (const button of buttons) {
      const choice = element("button", "", button.title);
      choice.type = "button";
      choice.addEventListener("click", () => send(button.payload, button.title));
      row.appendChild(choice);
    }
    item.appendChild(row);
  }
  log.appendChild(item);
  log.scrollTop = log.scrollHeight;
}

async function send(message, shown) {
  show("user", shown || message);
  const response = await fetch("/chat/messages", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ message }),
  });
  if (!response.ok) {
    show("bot", "(" + response.status + ") " + ((await response.json()).error || "error"));
    return;
  }
  const replies = await response.json();
  for (const reply of replies) show("bot", reply.text, reply.buttons);
  await renderPreview(replies);
}

function fill(id, items, describe) {
  const box = document.getElementById(id);
  box.replaceChildren();
  for (const item of items) {
    const bubble = element("div", "bubble", item.text);
    const meta = describe(item);
    if (meta) bubble.appendChild(element("div", "meta", meta));
    box.appendChild(bubble);
  }
}

async function renderPreview(replies) {
  const response = await fetch("/webchat/preview", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ replies }),
  });
  if (!response.ok) return;
  const preview = await response.json();
  fill("preview-telegram", preview.telegram, (m) => m.buttons.length ? "buttons: " + m.buttons.join(" | ") : "");
  fill("preview-whatsapp", preview.whatsapp, (m) => m.kind + (m.buttons.length ? ": " + m.buttons.join(" | ") : ""));
  fill("preview-sms", preview.sms, (m) => m.encoding + ", " + m.segments + " segment" + (m.segments === 1 ? "" : "s"));
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  send(text);
});

// What a helpline person writes arrives without a request of ours: fetch it by long polling.
async function pollUpdates() {
  for (;;) {
    const polled = chat;
    try {
      const response = await fetch("/chat/updates");
      if (!response.ok) throw new Error(String(response.status));
      const replies = await response.json();
      if (polled !== chat) continue;  // restarted while waiting: these belong to the old chat
      for (const reply of replies) show("bot", reply.text, reply.buttons);
      if (replies.length) await renderPreview(replies);
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, 3000));
    }
  }
}
pollUpdates();

document.getElementById("restart").addEventListener("click", async () => {
  chat += 1;
  await fetch("/chat/restart", { method: "POST" });  // a new cookie: a new conversation
  log.replaceChildren();
  for (const id of ["preview-telegram", "preview-whatsapp", "preview-sms"]) document.getElementById(id).replaceChildren();
});
