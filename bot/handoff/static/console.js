// The helpline console. Everything that came from a person or from staff is shown with textContent
// or DOM APIs, never as HTML. Live updates arrive as Server-Sent Events that name a ticket; the page
// then refetches what it needs from the JSON API, which decides what this staff member may see.
"use strict";

const $ = (id) => document.getElementById(id);
const TITLE = "SafeSpaces console";
const RISKS = ["danger", "self_harm", "minor", "ncii", "stalkerware"]; // most urgent first
const RISK_LABELS = { danger: "Danger", self_harm: "Self-harm", minor: "Minor", ncii: "Intimate images", stalkerware: "Stalkerware" };
const CANNED_LABELS = {
  greeting: "Greeting", safe_now: "Are you safe now?", evidence: "Keeping evidence",
  report: "Reporting", follow_up: "Following up", goodbye: "Goodbye",
};
const LONG_WAIT_SECONDS = 600;

const state = {
  me: null,
  csrf: "",
  clockOffset: 0, // server time minus this computer's time, in seconds
  open: null, // the ticket id in the chat view
  openState: null, // its state when last loaded
  cannedFor: null, // the ticket whose canned replies are loaded
  drafts: new Map(), // ticket id -> unsent text, so a draft never goes to the wrong person
  staff: [],
  sound: localStorage.getItem("console.sound") !== "off",
  audio: null,
};

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// --- small helpers ---

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function button(text, className, onClick) {
  const node = el("button", className, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

function now() {
  return Date.now() / 1000 + state.clockOffset;
}

function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + String(s % 60).padStart(2, "0") + " s";
  return Math.floor(s / 3600) + " h " + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + " min";
}

function clock(at) {
  return new Date(at * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function when(at) {
  const date = new Date(at * 1000);
  const today = new Date().toDateString() === date.toDateString();
  return today ? clock(at) : date.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

function words(id) {
  return id ? String(id).replace(/[_-]+/g, " ") : "";
}

function displayName(kind, code) {
  if (!code) return "";
  try {
    const name = new Intl.DisplayNames(["en"], { type: kind }).of(code);
    return name && name !== code ? name + " (" + code + ")" : code;
  } catch {
    return code;
  }
}

function staffName(name) {
  if (!name) return "";
  if (state.me && name === state.me.name) return "you";
  const member = state.staff.find((s) => s.name === name);
  return member ? member.display_name + " (" + name + ")" : name;
}

function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function notify(message) {
  $("notice-text").textContent = message;
  $("notice").hidden = false;
}

function clearNotice() {
  $("notice").hidden = true;
  $("notice-text").textContent = "";
}

// --- the API ---

async function api(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin", cache: "no-store" };
  if (method !== "GET") init.headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    location.assign("/console");
    throw new ApiError(401, "You are signed out.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.error || "Something went wrong (" + response.status + ").");
  return data;
}

async function act(control, work) {
  if (control) control.disabled = true;
  try {
    clearNotice();
    return await work();
  } catch (error) {
    if (error.status !== 401) notify(error.message);
    return undefined;
  } finally {
    if (control) control.disabled = false;
  }
}

// --- the left panel ---

function riskBadges(risks) {
  const row = el("span", "badges");
  for (const risk of RISKS) {
    if (risks.includes(risk)) row.appendChild(el("span", "badge risk-" + risk, RISK_LABELS[risk]));
  }
  return row;
}

function headline(summary) {
  return [words(summary.situation) || "Not said", summary.platform].filter(Boolean).join(" · ");
}

function ticketItem(ticket, options) {
  const item = el("li", "ticket");
  item.dataset.ticket = ticket.id;
  if (ticket.id === state.open) item.classList.add("current");
  const open = button("", "open", () => openTicket(ticket.id));
  open.appendChild(riskBadges(ticket.summary.risks));
  open.appendChild(el("span", "headline", ticket.erased ? "Erased by the person" : headline(ticket.summary)));
  const s = ticket.summary;
  open.appendChild(el("span", "meta", [s.language, s.channel, s.country].filter(Boolean).join(" · ")));
  if (options.safeContact && s.safe_contact) {
    open.appendChild(el("span", "safe", "Safe contact: " + s.safe_contact));
  }
  if (options.holder) open.appendChild(el("span", "meta", "With " + staffName(ticket.staff)));
  const since = options.since === "claimed" ? ticket.claimed_at : ticket.created_at;
  const wait = el("span", "wait");
  wait.dataset.since = since;
  wait.dataset.label = options.sinceLabel;
  if (options.warnLong) wait.dataset.warn = "long";
  open.appendChild(wait);
  item.appendChild(open);
  if (options.take) {
    const take = button("Take", "take", () => claim(ticket.id, take));
    take.setAttribute("aria-label", "Take: " + headline(ticket.summary));
    item.appendChild(take);
  }
  return item;
}

function fillList(id, tickets, options) {
  $(id).replaceChildren(...tickets.map((ticket) => ticketItem(ticket, options)));
  $(id + "-empty").hidden = tickets.length > 0;
}

let boardVersion = 0;

async function refreshBoard() {
  const version = ++boardVersion;
  const board = await api("GET", "/console/api/board");
  if (version !== boardVersion) return; // a newer refresh is on its way
  state.clockOffset = board.now - Date.now() / 1000;
  fillList("queue", board.queue, { take: true, warnLong: true, since: "created", sinceLabel: "waiting " });
  fillList("mine", board.mine, { since: "claimed", sinceLabel: "taken " });
  fillList("follow-ups", board.follow_ups, { take: true, safeContact: true, since: "created", sinceLabel: "left " });
  if (board.everyone) fillList("everyone", board.everyone, { holder: true, since: "claimed", sinceLabel: "taken " });
  $("queue-count").textContent = board.queue.length;
  document.title = board.queue.length ? "(" + board.queue.length + ") " + TITLE : TITLE;
  tick();
  if (state.me.role === "supervisor") await refreshTeam();
}

async function refreshTeam() {
  const [stats, audit, blocked] = await Promise.all([
    api("GET", "/console/api/stats"), api("GET", "/console/api/audit"), api("GET", "/console/api/blocked"),
  ]);
  const rows = [
    ["Waiting", stats.waiting],
    ["With staff", stats.with_staff],
    ["Follow-ups", stats.follow_ups],
    ["Longest wait", duration(stats.longest_wait_seconds)],
    ["Average wait today", stats.average_wait_seconds === null ? "–" : duration(stats.average_wait_seconds)],
    ["Handled today", stats.handled_today],
  ];
  $("stats").replaceChildren(...rows.flatMap(([name, value]) => [el("dt", "", name), el("dd", "", value)]));
  $("blocked").replaceChildren(...blocked.map((record) => {
    const item = el("li", "", "Ticket " + record.ticket + ", blocked by " + staffName(record.by) + " " + when(record.at) + " ");
    item.appendChild(button("Unblock", "", (event) => act(event.currentTarget, async () => {
      await api("POST", "/console/api/blocked/" + encodeURIComponent(record.id) + "/unblock");
      await refreshTeam();
    })));
    return item;
  }));
  $("blocked-empty").hidden = blocked.length > 0;
  $("audit").replaceChildren(...audit.map((entry) => el(
    "li", "", when(entry.at) + "  " + entry.staff + "  " + words(entry.action) + (entry.ticket ? "  " + entry.ticket : ""),
  )));
}

function tick() {
  for (const node of document.querySelectorAll("[data-since]")) {
    const since = Number(node.dataset.since);
    if (!since) continue;
    const seconds = now() - since;
    node.textContent = node.dataset.label + duration(seconds);
    node.classList.toggle("long", node.dataset.warn === "long" && seconds >= LONG_WAIT_SECONDS);
  }
}

// --- the chat view ---

function summaryRows(ticket) {
  const s = ticket.summary;
  if (ticket.erased) return [["Data", "The person erased their data."]];
  const yesNo = (value) => (value ? "yes" : "no");
  return [
    ["Situation", words(s.situation) || "not said"],
    ["Platform", s.platform || "not said"],
    ["Risk", null],
    ["Language", displayName("language", s.language)],
    ["Channel", s.channel],
    ["Country", displayName("region", s.country) || "not known"],
    ["Safe contact", s.safe_contact || "not given"],
    ["Steps done", s.steps_done.map(words).join(", ") || "none"],
    ["Steps skipped", s.steps_skipped.map(words).join(", ") || "none"],
    ["Transcript shared", yesNo(s.transcript_shared)],
  ];
}

function renderSummary(ticket) {
  const nodes = [];
  for (const [name, value] of summaryRows(ticket)) {
    const dd = el("dd", "", value);
    if (name === "Risk") {
      dd.appendChild(ticket.summary.risks.length ? riskBadges(ticket.summary.risks) : el("span", "", "none flagged"));
    }
    const pair = el("div", "pair");
    pair.append(el("dt", "", name), dd);
    nodes.push(pair);
  }
  $("summary").replaceChildren(...nodes);
}

function stateLine(ticket) {
  switch (ticket.state) {
    case "queued": return "Waiting since " + clock(ticket.created_at);
    case "follow_up": return "Message left " + when(ticket.created_at);
    case "with_staff": return "With " + staffName(ticket.staff) + " since " + clock(ticket.claimed_at);
    default: return "Closed" + (ticket.outcome ? " (" + words(ticket.outcome) + ")" : "") +
      (ticket.closed_at ? " at " + when(ticket.closed_at) : "") + (ticket.blocked ? " · sender blocked" : "");
  }
}

function systemText(entry) {
  const who = entry.staff ? staffName(entry.staff) : "";
  const [event, detail] = entry.text.split(/:(.*)/s);
  switch (event) {
    case "claimed": return capital(who) + " took the conversation";
    case "transferred": return capital(who) + " transferred it to " + staffName(detail);
    case "closed": return capital(who) + " closed it (" + words(detail) + ")";
    case "person": return "The person left (" + words(detail) + ")";
    default: return entry.text;
  }
}

const AUTHORS = {
  person: () => "Person",
  bot: () => "Assistant (shared transcript)",
  staff: (entry) => capital(staffName(entry.staff)),
  note: (entry) => "Internal note by " + staffName(entry.staff) + " (not sent)",
};

// Renders the log; returns whether to scroll to its end (a newly opened ticket, or already at the end).
function renderLog(entries) {
  const log = $("log");
  const follow = log.dataset.ticket !== state.open || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.dataset.ticket = state.open;
  log.replaceChildren(...entries.map((entry) => {
    const item = el("li", "entry " + entry.author);
    if (entry.author === "system") {
      item.textContent = systemText(entry) + " · " + clock(entry.at);
      return item;
    }
    const head = el("div", "who", (AUTHORS[entry.author] || (() => entry.author))(entry));
    head.appendChild(el("time", "", clock(entry.at)));
    const body = el("div", "text", entry.text);
    body.dir = "auto";
    item.append(head, body);
    return item;
  }));
  return follow;
}

async function openTicket(id) {
  if (state.open && state.open !== id) state.drafts.set(state.open, $("text").value);
  if (state.open !== id) {
    state.open = id;
    state.openState = null;
    state.cannedFor = null;
    $("text").value = state.drafts.get(id) || "";
    $("log").replaceChildren();
  }
  for (const item of document.querySelectorAll(".tickets li")) {
    item.classList.toggle("current", item.dataset.ticket === id);
  }
  clearNotice();
  await loadTicket();
}

function closeTicket() {
  state.open = null;
  state.openState = null;
  $("ticket").hidden = true;
  $("placeholder").hidden = false;
}

async function loadTicket() {
  const id = state.open;
  if (!id) return;
  let view;
  try {
    view = await api("GET", "/console/api/tickets/" + encodeURIComponent(id));
  } catch (error) {
    if (id !== state.open || error.status === 401) return;
    const wasWaiting = state.openState === "queued" || state.openState === "follow_up";
    notify(error.status === 403 && wasWaiting ? "This conversation has already been taken by a colleague." : error.message);
    closeTicket();
    return;
  }
  if (id !== state.open) return;
  const ticket = view.ticket;
  state.openState = ticket.state;
  $("placeholder").hidden = true;
  $("ticket").hidden = false;
  $("ticket-title").textContent = headline(ticket.summary) + " — ticket " + ticket.id;
  $("ticket-state").textContent = stateLine(ticket);
  renderSummary(ticket);
  const waiting = ticket.state === "queued" || ticket.state === "follow_up";
  $("take-row").hidden = !waiting;
  $("log").hidden = view.log === null;
  const follow = view.log !== null && renderLog(view.log);
  $("composer").hidden = !view.can_act;
  $("tools").hidden = !view.can_act;
  if (follow) $("log").scrollTop = $("log").scrollHeight; // after the layout around it is final
  if (view.can_act) {
    fillTransfer(ticket);
    if (state.cannedFor !== id) await loadCanned(id);
  }
}

async function loadCanned(id) {
  const replies = await api("GET", "/console/api/tickets/" + encodeURIComponent(id) + "/canned").catch(() => []);
  if (id !== state.open) return;
  state.cannedFor = id;
  const options = [el("option", "", "Canned reply…")];
  options[0].value = "";
  for (const reply of replies) {
    const option = el("option", "", (CANNED_LABELS[reply.key] || words(reply.key)) + ": " + reply.text);
    option.value = reply.text;
    option.title = reply.text;
    options.push(option);
  }
  $("canned").replaceChildren(...options);
}

function fillTransfer(ticket) {
  const select = $("transfer-to");
  const chosen = select.value;
  const others = state.staff.filter((s) => s.name !== ticket.staff);
  select.replaceChildren(...others.map((s) => {
    const option = el("option", "", s.display_name + " (" + s.name + (s.role === "supervisor" ? ", supervisor" : "") + ")");
    option.value = s.name;
    return option;
  }));
  if (others.some((s) => s.name === chosen)) select.value = chosen;
  $("transfer").disabled = others.length === 0;
}

async function claim(id, control) {
  await act(control, async () => {
    await api("POST", "/console/api/tickets/" + encodeURIComponent(id) + "/claim");
    await openTicket(id);
    $("text").focus();
  });
  scheduleBoard();
}

function ticketAction(path, body, after) {
  return (event) => act(event.currentTarget, async () => {
    const id = state.open;
    await api("POST", "/console/api/tickets/" + encodeURIComponent(id) + path, body && body());
    if (after) after(id);
    await loadTicket();
  });
}

async function submitText(path, control) {
  const input = $("text");
  const text = input.value.trim();
  if (!text || control.disabled) return; // nothing to send, or the last one is still on its way
  await act(control, async () => {
    const id = state.open;
    await api("POST", "/console/api/tickets/" + encodeURIComponent(id) + path, { text });
    if (id === state.open) input.value = "";
    state.drafts.delete(id);
    await loadTicket();
  });
  input.focus();
}

// --- live updates ---

let boardTimer = null;
let ticketTimer = null;

function scheduleBoard() {
  if (boardTimer) return;
  boardTimer = setTimeout(() => {
    boardTimer = null;
    refreshBoard().catch(() => setConnection("Could not refresh", false));
  }, 80);
}

function scheduleTicket() {
  if (ticketTimer) return;
  ticketTimer = setTimeout(() => {
    ticketTimer = null;
    loadTicket();
  }, 80);
}

function setConnection(text, live) {
  $("connection").textContent = text;
  $("connection").classList.toggle("live", live);
}

function onEvent(event) {
  if (event.type === "queued" || event.type === "risk") beep();
  scheduleBoard();
  if (event.ticket === state.open) scheduleTicket();
}

function connect() {
  const source = new EventSource("/console/events");
  source.addEventListener("open", () => {
    setConnection("Live", true);
    scheduleBoard(); // whatever happened while we were not listening
    if (state.open) scheduleTicket();
  });
  source.addEventListener("message", (message) => onEvent(JSON.parse(message.data)));
  source.addEventListener("error", () => {
    setConnection("Reconnecting…", false);
    if (source.readyState === EventSource.CLOSED) {
      // Refused (e.g. signed out): api() goes to the sign-in page on 401, else try again shortly.
      setTimeout(() => api("GET", "/console/api/me").then(connect, connect), 5000);
    }
  });
}

// --- sound: browsers allow audio only after the user has interacted with the page ---

function unlockAudio() {
  if (!state.audio && window.AudioContext) state.audio = new AudioContext();
  if (state.audio && state.audio.state === "suspended") state.audio.resume();
}

function beep() {
  if (!state.sound || !state.audio) return;
  const audio = state.audio;
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  const start = audio.currentTime;
  oscillator.type = "sine";
  oscillator.frequency.setValueAtTime(880, start);
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.25);
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start(start);
  oscillator.stop(start + 0.3);
}

function showSound() {
  $("sound").textContent = state.sound ? "Sound on" : "Sound off";
  $("sound").setAttribute("aria-pressed", String(state.sound));
}

// --- wiring ---

function wire() {
  document.addEventListener("pointerdown", unlockAudio);
  document.addEventListener("keydown", unlockAudio);
  $("sound").addEventListener("click", () => {
    state.sound = !state.sound;
    localStorage.setItem("console.sound", state.sound ? "on" : "off");
    showSound();
  });
  $("logout").addEventListener("click", (event) => act(event.currentTarget, async () => {
    await api("POST", "/console/logout");
    location.assign("/console");
  }));
  $("notice-close").addEventListener("click", clearNotice);
  $("take").addEventListener("click", (event) => claim(state.open, event.currentTarget));
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    submitText("/messages", $("send"));
  });
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitText("/messages", $("send"));
    }
  });
  $("note").addEventListener("click", (event) => submitText("/notes", event.currentTarget));
  $("canned").addEventListener("change", () => {
    const input = $("text");
    const text = $("canned").value;
    if (text) input.value = input.value.trim() ? input.value.trimEnd() + "\n" + text : text;
    $("canned").value = "";
    input.focus();
  });
  $("transfer").addEventListener("click", ticketAction("/transfer", () => ({ to: $("transfer-to").value }), () => {
    if (state.me.role !== "supervisor") closeTicket();
  }));
  $("close").addEventListener("click", ticketAction("/close", () => ({ outcome: $("outcome").value })));
  $("hand-back").addEventListener("click", ticketAction("/hand-back"));
  const block = ticketAction("/block");
  $("block").addEventListener("click", (event) => {
    if (confirm("Block this sender? The assistant will stop answering them, and this conversation closes. A supervisor can undo it.")) {
      block(event);
    }
  });
}

async function start() {
  wire();
  showSound();
  const me = await api("GET", "/console/api/me");
  state.me = me;
  state.csrf = me.csrf;
  $("me").textContent = me.display_name + " · " + me.role;
  $("supervisor").hidden = me.role !== "supervisor";
  $("outcome").replaceChildren(...me.outcomes.map((outcome) => {
    const option = el("option", "", capital(words(outcome)));
    option.value = outcome;
    return option;
  }));
  state.staff = await api("GET", "/console/api/staff");
  await refreshBoard();
  connect();
  setInterval(tick, 1000);
  setInterval(scheduleBoard, 60000); // a safety net; live events do the real work
}

start().catch((error) => notify(error.message));
