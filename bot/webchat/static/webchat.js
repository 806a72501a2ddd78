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
let unsent = null;  // {text, id} of a typed message that could not be sent: sent again, it keeps its id
const RETRY_SECONDS = [1, 2, 4, 8];  // waits before each new try of a message after a network error
const CALM = "The connection dropped. Your message is kept: trying again…";
const OFFLINE_UPDATES = "The connection dropped. Messages for you will arrive when it is back.";

// A random id per message: sent again after a network error, the server runs it once.
function messageId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Waits, or less if the browser says the network is back.
function pause(seconds) {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); window.removeEventListener("online", done); resolve(); };
    const timer = setTimeout(done, seconds * 1000);
    window.addEventListener("online", done);
  });
}

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
  } catch { /* not our JSON: a proxy's page */ }
  return "Not sent (error " + response.status + "). Please try again.";
}

// An Error meant for the person; `transient` when trying again may help (no network, a gateway error).
function problem(message, transient) {
  const error = new Error(message);
  error.transient = transient;
  return error;
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
  } catch {
    throw problem("Not sent: no connection. Please try again.", true);
  }
  if (!response.ok) throw problem(await failure(response), [502, 503, 504].includes(response.status));
  try {
    return await response.json();
  } catch (error) {
    throw new Error("The reply could not be read. Please try again.", { cause: error });
  }
}

// One message out, its replies in. Never rejects: after a network error it tries again a few times
// with the same id (the server runs it once, and answers a retry with the first answer); a failure
// is shown calmly, and typed text goes back in the box, to be sent again under the same id.
async function send(message, shown, typed) {
  const sent = chat;
  const id = unsent && unsent.text === message ? unsent.id : messageId();
  unsent = null;
  const item = show("user", shown || message);
  item.classList.add("sending");
  tell("");
  let replies;
  for (let attempt = 0; ; attempt += 1) {
    try {
      replies = await post("/chat/messages", { message, id });
      break;
    } catch (error) {
      if (leaving || sent !== chat) return;
      if (error.transient && attempt < RETRY_SECONDS.length) {
        tell(CALM);
        await pause(RETRY_SECONDS[attempt]);
        if (leaving || sent !== chat) return;
        continue;
      }
      item.remove();
      if (typed) {
        unsent = { text: message, id };
        if (!input.value) input.value = message;
      }
      tell(error.transient ? "Still no connection. Your message is back in the box: send it again when you are online." : error.message);
      return;
    }
  }
  if (leaving || sent !== chat) return;
  item.classList.remove("sending");
  tell("");
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
  } catch {
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
// After a failure it waits longer each time (3 s up to 30 s), and says calmly that messages from
// the helpline will come once the connection is back.
async function pollUpdates() {
  let failures = 0;
  while (!leaving) {
    const polled = chat;
    try {
      const response = await fetch("/chat/updates");
      if (!response.ok) throw new Error(String(response.status));
      const replies = await response.json();
      if (failures && notice.textContent === OFFLINE_UPDATES) tell("");
      failures = 0;
      if (polled !== chat || leaving) continue;  // restarted while waiting: these belong to the old chat
      for (const reply of replies) show("bot", reply.text, reply.buttons);
      if (replies.length) await renderPreview(replies);
    } catch {
      failures += 1;
      if (failures >= 2 && !notice.textContent) tell(OFFLINE_UPDATES);
      await pause(Math.min(30, 3 * 2 ** (failures - 1)));
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
  } catch {
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
  } catch { /* not rendered by the server: the default */ }
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
    } catch { /* storage turned off: nothing kept there */ }
  }
}

// A POST that outlives the page: a beacon, else a keepalive fetch. Best effort, never waited for.
function beacon(url, body) {
  try {
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return;
  } catch { /* fall through to fetch */ }
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
