// The web chat: every text from the server is shown with textContent, never as HTML.
// Who is writing is this browser's HttpOnly cookie, set with the page: the script never sees it.
"use strict";

const log = document.getElementById("log");
const form = document.getElementById("composer");
const input = document.getElementById("text");
const notice = document.getElementById("notice");
const PREVIEWS = ["preview-telegram", "preview-whatsapp", "preview-sms"];
const STORAGE_PREFIX = "safespaces.webchat.";  // the chat keeps nothing in storage; any such key is ours
const NEUTRAL_DEFAULT = "https://www.google.com/";  // QUICK_EXIT_URL's default (bot/settings.py)
let chat = 0;  // which conversation the page shows; "restart" starts the next one
let leaving = false;

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
  return item;
}

function tell(text) {
  notice.textContent = text;
  notice.hidden = !text;
}

// Why a request failed, in a line: the server's own error when it gave one.
async function failure(response) {
  if (response.status === 401) return "This chat has ended: reload the page to start again.";
  try {
    const body = await response.json();
    if (body && typeof body.error === "string") return "Not sent: " + body.error + ".";
  } catch (error) { /* not our JSON: a proxy's page */ }
  return "Not sent (error " + response.status + "). Please try again.";
}

// POST JSON; the parsed reply, or an Error whose message is meant for the person.
async function post(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new Error("Not sent: no connection. Please try again.");
  }
  if (!response.ok) throw new Error(await failure(response));
  try {
    return await response.json();
  } catch (error) {
    throw new Error("The reply could not be read. Please try again.");
  }
}

// One message out, its replies in. Never rejects: a failure is shown, and typed text goes back in the box.
async function send(message, shown, typed) {
  const sent = chat;
  const item = show("user", shown || message);
  tell("");
  let replies;
  try {
    replies = await post("/chat/messages", { message });
  } catch (error) {
    if (leaving || sent !== chat) return;
    item.remove();
    if (typed && !input.value) input.value = message;
    tell(error.message);
    return;
  }
  if (leaving || sent !== chat) return;
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

// The preview is an aside: when it cannot be had, the chat goes on without it.
async function renderPreview(replies) {
  let preview;
  try {
    preview = await post("/webchat/preview", { replies });
  } catch (error) {
    return;
  }
  if (leaving) return;
  fill("preview-telegram", preview.telegram, (m) => m.buttons.length ? "buttons: " + m.buttons.join(" | ") : "");
  fill("preview-whatsapp", preview.whatsapp, (m) => m.kind + (m.buttons.length ? ": " + m.buttons.join(" | ") : ""));
  fill("preview-sms", preview.sms, (m) => m.encoding + ", " + m.segments + " segment" + (m.segments === 1 ? "" : "s"));
}

function clearChat() {
  log.replaceChildren();
  for (const id of PREVIEWS) document.getElementById(id).replaceChildren();
  tell("");
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  send(text, undefined, true);
});

// What a helpline person writes arrives without a request of ours: fetch it by long polling.
async function pollUpdates() {
  while (!leaving) {
    const polled = chat;
    try {
      const response = await fetch("/chat/updates");
      if (!response.ok) throw new Error(String(response.status));
      const replies = await response.json();
      if (polled !== chat || leaving) continue;  // restarted while waiting: these belong to the old chat
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
  clearChat();
  try {
    const response = await fetch("/chat/restart", { method: "POST" });  // a new cookie: a new conversation
    if (!response.ok) tell(await failure(response));
  } catch (error) {
    tell("No connection: the new conversation could not be started. Please try again.");
  }
});

// Leave quickly (the button, or Esc): nothing of the chat stays on the page or in this browser's
// storage, the server runs the chat's quick exit and gives the browser a new conversation, and the
// page becomes a neutral site without a history entry to come back to.

function neutralSite() {
  try {
    const url = new URL(document.body.dataset.quickExitUrl || "");
    if (url.protocol === "https:" || url.protocol === "http:") return url.href;
  } catch (error) { /* not rendered by the server: the default */ }
  return NEUTRAL_DEFAULT;
}

function forgetStored() {
  for (const storage of [window.localStorage, window.sessionStorage]) {
    try {
      const ours = [];
      for (let i = 0; i < storage.length; i++) {
        if (storage.key(i).startsWith(STORAGE_PREFIX)) ours.push(storage.key(i));
      }
      for (const key of ours) storage.removeItem(key);
    } catch (error) { /* storage turned off: nothing kept there */ }
  }
}

// A POST that outlives the page: a beacon, else a keepalive fetch. Best effort, never waited for.
function beacon(url, body) {
  try {
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return;
  } catch (error) { /* fall through to fetch */ }
  fetch(url, { method: "POST", body, keepalive: true }).catch(() => {});
}

function leaveQuickly() {
  if (leaving) return;
  leaving = true;
  chat += 1;
  input.value = "";
  clearChat();
  document.body.replaceChildren();  // nothing of the page shows while the neutral site loads
  document.title = "";
  forgetStored();
  beacon("/chat/messages", JSON.stringify({ message: "/quick_exit" }));  // with this chat's cookie
  beacon("/chat/restart");  // then a new cookie: coming back starts a new conversation
  window.location.replace(neutralSite());
}

document.getElementById("quick-exit").addEventListener("click", leaveQuickly);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !event.isComposing) {
    event.preventDefault();
    leaveQuickly();
  }
}, true);
