// The helpline console. Everything that came from a person or from staff is shown with textContent
// or DOM APIs, never as HTML. Live updates arrive as Server-Sent Events that name a ticket; the page
// then refetches what it needs from the JSON API, which decides what this staff member may see.
//
// What a counsellor writes is kept until it has left: drafts (and whether they are a reply or a note)
// per conversation in sessionStorage, so a reload or a dropped connection loses nothing; a reply waits
// a few seconds in the page, to be undone, before it is sent. Notes have their own mode, colour and
// endpoint, and can never reach the person.
"use strict";

const $ = (id) => document.getElementById(id);
// The console's own texts: English here, translated through the assistant's gettext catalogs
// (bot/handoff/console_texts.py); N_ marks a text kept in a table and translated where it is shown.
let texts = {};
const N_ = (text) => text;
function _(text, params) {
  const translated = texts[text] || text;
  if (!params) return translated;
  return translated.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
}

const TITLE = N_("SafeSpaces console");
const RISKS = ["danger", "self_harm", "minor", "ncii", "stalkerware"]; // most urgent first
const RISK_LABELS = {
  danger: N_("Danger"), self_harm: N_("Self-harm"), minor: N_("Minor"), ncii: N_("Intimate images"),
  stalkerware: N_("Stalkerware"),
};
const CANNED_LABELS = {
  greeting: N_("Greeting"), safe_now: N_("Are you safe now?"), evidence: N_("Keeping evidence"),
  report: N_("Reporting"), follow_up: N_("Following up"), goodbye: N_("Goodbye"),
};
const OUTCOME_LABELS = {
  resolved: N_("Resolved"), referred: N_("Referred"), follow_up_needed: N_("Follow up needed"),
  no_response: N_("No response"), abusive: N_("Abusive"), other: N_("Other"), quick_exit: N_("Quick exit"),
  handed_back: N_("Handed back to the bot"), cancelled: N_("Cancelled"), left_message: N_("Left a message"),
};
const DRAFTS = "console.drafts";
const OFFLINE = N_("Cannot reach the server. Check the connection: what you wrote is kept.");

const state = {
  me: null,
  csrf: "",
  clockOffset: 0, // server time minus this computer's time, in seconds
  open: null, // the ticket id in the chat view
  openState: null, // its state when last loaded
  view: null, // the open ticket's last view
  cannedFor: null, // the ticket whose canned replies are loaded
  canned: [], // those replies: {key, language, text, gloss}
  drafts: loadDrafts(), // ticket id -> {text, mode}, so a draft never goes to the wrong person
  pending: [], // replies waiting out the undo window: {key, ticket, text, override, due, timer}
  mine: new Set(), // the ids of my conversations, from the last board
  alerted: new Set(), // queued tickets already announced as waiting long
  staff: [],
  sound: localStorage.getItem("console.sound") !== "off",
  away: false, // marked away: not counted as available for people waiting or for transfers
  audio: null,
  networkNotice: false, // the notice on screen is about the connection, and goes when it is back
  offline: false, // the last request could not reach the server
  retry: null, // while offline, the timer of the next try
  source: null, // the live event stream
  language: "en", // the console's language
};

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status; // 0: the server could not be reached
  }
}

function loadDrafts() {
  try {
    return new Map(Object.entries(JSON.parse(sessionStorage.getItem(DRAFTS) || "{}")));
  } catch {
    return new Map();
  }
}

function saveDrafts() {
  sessionStorage.setItem(DRAFTS, JSON.stringify(Object.fromEntries(state.drafts)));
}

function draftOf(id) {
  return state.drafts.get(id) || { text: "", mode: "reply" };
}

function keepDraft() {
  if (!state.open) return;
  const draft = { text: $("text").value, mode: composerMode() };
  if (draft.text || draft.mode !== "reply") state.drafts.set(state.open, draft);
  else state.drafts.delete(state.open);
  saveDrafts();
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
  if (s < 60) return _("{s} s", { s });
  if (s < 3600) return _("{m} min {s} s", { m: Math.floor(s / 60), s: String(s % 60).padStart(2, "0") });
  return _("{h} h {m} min", { h: Math.floor(s / 3600), m: String(Math.floor((s % 3600) / 60)).padStart(2, "0") });
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

function outcomeName(outcome) {
  return OUTCOME_LABELS[outcome] ? _(OUTCOME_LABELS[outcome]) : capital(words(outcome));
}

function outcomeWord(outcome) { // inside a sentence
  return outcomeName(outcome).toLocaleLowerCase(state.language);
}

function displayName(kind, code) {
  if (!code) return "";
  try {
    const name = new Intl.DisplayNames([state.language], { type: kind }).of(code);
    return name && name !== code ? name + " (" + code + ")" : code;
  } catch {
    return code;
  }
}

function staffName(name) {
  if (!name) return "";
  if (state.me && name === state.me.name) return _("you");
  const member = state.staff.find((s) => s.name === name);
  return member ? member.display_name + " (" + name + ")" : name;
}

function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function notify(message, network = false) {
  $("notice-text").textContent = message;
  $("notice").hidden = false;
  state.networkNotice = network;
}

function clearNotice() {
  $("notice").hidden = true;
  $("notice-text").textContent = "";
  state.networkNotice = false;
}

function languageName(code) {
  if (!code) return "";
  try {
    return new Intl.DisplayNames([state.language], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

function speaks(code) {
  return Boolean(state.me && state.me.languages.includes(code));
}

// --- the API ---

async function api(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin", cache: "no-store" };
  if (method !== "GET") init.headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    state.offline = true;
    setConnection(_("Offline: retrying…"), false);
    if (!state.retry) state.retry = setTimeout(() => { state.retry = null; scheduleBoard(); }, 5000);
    throw new ApiError(0, _(OFFLINE));
  }
  if (state.offline) back();
  if (response.status === 401) {
    location.assign("/console");
    throw new ApiError(401, _("You are signed out."));
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.error || _("Something went wrong ({status}).", { status: response.status }));
  return data;
}

async function act(control, work) {
  if (control) control.disabled = true;
  try {
    clearNotice();
    return await work();
  } catch (error) {
    if (error.status !== 401) notify(error.message, error.status === 0);
    return undefined;
  } finally {
    if (control) control.disabled = false;
  }
}

// --- the left panel ---

function riskBadges(risks) {
  const row = el("span", "badges");
  for (const risk of RISKS) {
    if (risks.includes(risk)) row.appendChild(el("span", "badge risk-" + risk, _(RISK_LABELS[risk])));
  }
  return row;
}

function headline(summary) {
  return [words(summary.situation) || _("Not said"), summary.platform].filter(Boolean).join(" · ");
}

function ticketItem(ticket, options) {
  const item = el("li", "ticket");
  item.dataset.ticket = ticket.id;
  if (ticket.id === state.open) item.classList.add("current");
  const open = button("", "open", () => openTicket(ticket.id));
  open.appendChild(riskBadges(ticket.summary.risks));
  open.appendChild(el("span", "headline", ticket.erased ? _("Erased by the person") : headline(ticket.summary)));
  const s = ticket.summary;
  const meta = el("span", "meta");
  const language = el("span", speaks(s.language) ? "language mine" : "language", languageName(s.language));
  if (speaks(s.language)) language.title = _("You speak this language");
  meta.append(language, ...[s.channel, displayName("region", s.country)].filter(Boolean).map((part) => " · " + part));
  open.appendChild(meta);
  if (options.safeContact && s.safe_contact) {
    open.appendChild(el("span", "safe", _("Safe contact: {words}", { words: s.safe_contact })));
    if (ticket.safe_contact) open.appendChild(safeNow(ticket.safe_contact));
  }
  if (options.waiting && ticket.waiting.count) open.appendChild(waitingLine(ticket.waiting));
  if (ticket.follow_up_of) open.appendChild(el("span", "meta", _("Follow-up of ticket {ticket}", { ticket: ticket.follow_up_of })));
  if (options.holder) open.appendChild(el("span", "meta", _("With {name}", { name: staffName(ticket.staff) })));
  if (ticket.unread) {
    const unread = el("span", "unread", _("{count} new", { count: ticket.unread }));
    unread.setAttribute("aria-label", _("New messages: {count}", { count: ticket.unread }));
    open.appendChild(unread);
  }
  if (options.closed) {
    open.appendChild(el("span", "meta", _("Opened {opened} · closed {closed} · {outcome}", {
      opened: when(ticket.created_at), closed: ticket.closed_at ? when(ticket.closed_at) : "", outcome: outcomeWord(ticket.outcome),
    })));
  } else {
    const wait = el("span", "wait");
    wait.dataset.since = options.since === "claimed" ? ticket.claimed_at : ticket.created_at;
    wait.dataset.label = options.sinceLabel;
    if (options.warnLong) wait.dataset.warn = "long";
    open.appendChild(wait);
  }
  item.appendChild(open);
  if (options.take) {
    const take = button(_("Take"), "take", () => claim(ticket.id, take));
    take.setAttribute("aria-label", _("Take: {headline}", { headline: headline(ticket.summary) }));
    item.appendChild(take);
  }
  return item;
}

// What she wrote while waiting: how many messages, and the latest (to triage on before taking).
function waitingLine(waiting) {
  const line = el("span", "waiting-messages");
  const count = waiting.count === 1 ? _("1 message while waiting") : _("{count} messages while waiting", { count: waiting.count });
  line.appendChild(el("span", "waiting-count", count));
  if (waiting.latest) {
    line.appendChild(document.createTextNode(" · " + _("latest {time}:", { time: clock(waiting.latest.at) }) + " "));
    const latest = el("q", "waiting-latest", waiting.latest.text);
    latest.dir = "auto";
    line.appendChild(latest);
  }
  return line;
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
  fillList("queue", board.queue, { take: true, warnLong: true, waiting: true, since: "created", sinceLabel: _("waiting {time}") });
  fillList("mine", board.mine, { since: "claimed", sinceLabel: _("taken {time}") });
  fillList("follow-ups", board.follow_ups, { take: true, safeContact: true, since: "created", sinceLabel: _("left {time}") });
  if (board.everyone) fillList("everyone", board.everyone, { holder: true, since: "claimed", sinceLabel: _("taken {time}") });
  state.mine = new Set(board.mine.map((ticket) => ticket.id));
  $("queue-count").textContent = board.queue.length;
  $("take-next").disabled = board.queue.length === 0;
  const unread = board.mine.reduce((sum, ticket) => sum + ticket.unread, 0);
  const waiting = board.queue.length ? "(" + board.queue.length + ") " : "";
  document.title = (unread ? "✉" + unread + " " : "") + waiting + _(TITLE);
  tick();
  if (state.me.role === "supervisor") await refreshTeam();
}

async function refreshTeam() {
  const [stats, audit, blocked] = await Promise.all([
    api("GET", "/console/api/stats"), api("GET", "/console/api/audit"), api("GET", "/console/api/blocked"),
  ]);
  const rows = [
    [_("Waiting"), stats.waiting],
    [_("With staff"), stats.with_staff],
    [_("Follow-ups"), stats.follow_ups],
    [_("Longest wait"), duration(stats.longest_wait_seconds)],
    [_("Average wait today"), stats.average_wait_seconds === null ? "–" : duration(stats.average_wait_seconds)],
    [_("Handled today"), stats.handled_today],
  ];
  $("stats").replaceChildren(...rows.flatMap(([name, value]) => [el("dt", "", name), el("dd", "", value)]));
  $("blocked").replaceChildren(...blocked.map((record) => {
    const item = el("li", "", _("Ticket {ticket}, blocked by {name} {when}", {
      ticket: record.ticket, name: staffName(record.by), when: when(record.at),
    }) + " ");
    item.appendChild(button(_("Unblock"), "", (event) => act(event.currentTarget, async () => {
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
  const longWait = state.me ? state.me.long_wait_seconds : 600;
  for (const node of document.querySelectorAll("[data-since]")) {
    const since = Number(node.dataset.since);
    if (!since) continue;
    const seconds = now() - since;
    node.textContent = node.dataset.label.replace("{time}", duration(seconds));
    const long = node.dataset.warn === "long" && seconds >= longWait;
    node.classList.toggle("long", long);
    const id = node.closest("li").dataset.ticket;
    if (long && !state.alerted.has(id)) {
      state.alerted.add(id);
      attention(
        _("Someone has waited over {time}", { time: duration(longWait) }),
        _("Waiting: {headline}", { headline: node.closest("li").querySelector(".headline").textContent }), id,
      );
    }
  }
  for (const node of document.querySelectorAll("#pending [data-due]")) {
    node.textContent = _("Sending in {s} s", { s: Math.max(0, Math.ceil((Number(node.dataset.due) - Date.now()) / 1000)) });
  }
}

// --- the chat view ---

function summaryRows(ticket) {
  const s = ticket.summary;
  if (ticket.erased) return [["data", _("Data"), _("The person erased their data.")]];
  const yesNo = (value) => (value ? _("yes") : _("no"));
  return [
    ["situation", _("Situation"), words(s.situation) || _("not said")],
    ["platform", _("Platform"), s.platform || _("not said")],
    ["risk", _("Risk"), null],
    ["language", _("Language"), displayName("language", s.language)],
    ["channel", _("Channel"), s.channel],
    ["country", _("Country"), displayName("region", s.country) || _("not known")],
    ["safe", _("Safe contact"), s.safe_contact || _("not given")],
    ["done", _("Steps done"), s.steps_done.map(words).join(", ") || _("none")],
    ["skipped", _("Steps skipped"), s.steps_skipped.map(words).join(", ") || _("none")],
    ["transcript", _("Transcript shared"), yesNo(s.transcript_shared)],
    ...(ticket.state === "queued" ? [["waiting", _("While waiting"), null]] : []),
  ];
}

function safeNow(reading) {
  const line = el("span", reading.safe_now ? "safe-now" : "safe-now outside");
  line.textContent = reading.safe_now
    ? _("Read as {reading} · inside it now", { reading: reading.reading })
    : _("Read as {reading} · outside it now ({time})", { reading: reading.reading, time: reading.her_time });
  return line;
}

function renderSummary(ticket) {
  const nodes = [];
  for (const [kind, name, value] of summaryRows(ticket)) {
    const dd = el("dd", "", value);
    if (kind === "risk") {
      dd.appendChild(ticket.summary.risks.length ? riskBadges(ticket.summary.risks) : el("span", "", _("none flagged")));
    }
    if (kind === "waiting") {
      dd.appendChild(ticket.waiting.count ? waitingLine(ticket.waiting) : el("span", "", _("nothing written yet")));
    }
    if (kind === "safe" && ticket.safe_contact) {
      dd.appendChild(el("br"));
      dd.appendChild(safeNow(ticket.safe_contact));
    }
    const pair = el("div", "pair");
    pair.append(el("dt", "", name), dd);
    nodes.push(pair);
  }
  $("summary").replaceChildren(...nodes);
}

function stateLine(ticket) {
  if (ticket.left && !ticket.claimed_at) {
    const left = _("She left before anyone took it ({how})", { how: outcomeWord(ticket.left) });
    return left + (ticket.closed_at ? " · " + when(ticket.closed_at) : "");
  }
  switch (ticket.state) {
    case "queued": return _("Waiting since {time}", { time: clock(ticket.created_at) });
    case "follow_up": return _("Message left {when}", { when: when(ticket.created_at) });
    case "with_staff": return _("With {name} since {time}", { name: staffName(ticket.staff), time: clock(ticket.claimed_at) });
    default: return [
      ticket.outcome ? _("Closed ({outcome})", { outcome: outcomeWord(ticket.outcome) }) : _("Closed"),
      ticket.closed_at ? when(ticket.closed_at) : "",
      ticket.blocked ? _("sender blocked") : "",
      ticket.left && ticket.outcome !== ticket.left ? _("she ended it: {how}", { how: outcomeWord(ticket.left) }) : "",
    ].filter(Boolean).join(" · ");
  }
}

function systemText(entry) {
  const who = entry.staff ? staffName(entry.staff) : "";
  const [event, detail] = entry.text.split(/:(.*)/s);
  switch (event) {
    case "claimed": return capital(_("{name} took the conversation", { name: who }));
    case "transferred": return capital(_("{name} transferred it to {to}", { name: who, to: staffName(detail) }));
    case "closed": return capital(_("{name} closed it ({outcome})", { name: who, outcome: outcomeWord(detail) }));
    case "recorded": return capital(_("{name} recorded the outcome ({outcome})", { name: who, outcome: outcomeWord(detail) }));
    case "person": return _("The person left ({how})", { how: outcomeWord(detail) });
    case "follow_up_of": return capital(_("{name} asked for this follow-up when closing ticket {ticket}", { name: who, ticket: detail }));
    default: return entry.text;
  }
}

const AUTHORS = {
  person: () => _("Person"),
  bot: () => _("Assistant (shared transcript)"),
  staff: (entry) => capital(staffName(entry.staff)),
  note: (entry) => entry.to
    ? _("Private message from {name} to {to} (not sent)", { name: staffName(entry.staff), to: staffName(entry.to) })
    : _("Internal note by {name} (not sent)", { name: staffName(entry.staff) }),
};

function renderPrevious(previous) {
  $("previous").hidden = !previous || previous.length === 0;
  if (!previous) return;
  $("previous-title").textContent = _("Earlier contacts: {count}", { count: previous.length });
  $("previous-list").replaceChildren(...previous.map((past) => {
    const item = el("li", "past");
    item.dataset.ticket = past.id;
    const situation = (past.case && past.case.situation) || past.summary.situation;
    item.appendChild(el("div", "past-head", [
      when(past.created_at), _("ticket {ticket}", { ticket: past.id }),
      past.outcome ? outcomeWord(past.outcome) : past.state.replace("_", " "),
      past.staff ? _("with {name}", { name: staffName(past.staff) }) : "", words(situation),
    ].filter(Boolean).join(" · ")));
    for (const note of past.notes) {
      const line = el("div", "past-note", _("Note by {name}:", { name: staffName(note.staff) }) + " ");
      const text = el("span", "", note.text);
      text.dir = "auto";
      line.appendChild(text);
      item.appendChild(line);
    }
    return item;
  }));
}

// Renders the log; returns whether to scroll to its end (a newly opened ticket, or already at the end).
function renderLog(entries) {
  const log = $("log");
  const follow = log.dataset.ticket !== state.open || log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.dataset.ticket = state.open;
  log.replaceChildren(...entries.map((entry) => {
    const item = el("li", "entry " + entry.author + (entry.to ? " whisper" : ""));
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
  $("charts").hidden = true;
  if (state.open !== id) {
    keepDraft();
    state.open = id;
    state.openState = null;
    state.view = null;
    state.cannedFor = null;
    state.canned = [];
    const draft = draftOf(id);
    $("text").value = draft.text;
    setMode(draft.mode);
    $("override").checked = false;
    $("close-form").hidden = true;
    $("log").replaceChildren();
    renderPending();
    history.replaceState(null, "", "#ticket=" + encodeURIComponent(id));
  }
  for (const item of document.querySelectorAll(".tickets li")) {
    item.classList.toggle("current", item.dataset.ticket === id);
  }
  clearNotice();
  await loadTicket();
  if (document.querySelector(".tickets li[data-ticket='" + id + "'] .unread")) scheduleBoard();
}

function closeTicket() {
  keepDraft();
  state.open = null;
  state.openState = null;
  state.view = null;
  history.replaceState(null, "", location.pathname);
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
    if (error.status === 0) return; // offline: the chat and its draft stay; reconnecting reloads it
    const wasWaiting = state.openState === "queued" || state.openState === "follow_up";
    notify(error.status === 403 && wasWaiting ? _("This conversation has already been taken by a colleague.") : error.message);
    closeTicket();
    return;
  }
  if (id !== state.open) return;
  const ticket = view.ticket;
  state.openState = ticket.state;
  state.view = view;
  $("placeholder").hidden = true;
  $("ticket").hidden = false;
  $("ticket-title").textContent = headline(ticket.summary) + " — ticket " + ticket.id;
  $("ticket-state").textContent = stateLine(ticket);
  renderSummary(ticket);
  renderPrevious(view.previous);
  const waiting = ticket.state === "queued" || ticket.state === "follow_up";
  $("take-row").hidden = !waiting;
  $("take-hint").textContent = ticket.state === "follow_up"
    ? _("Taking this follow-up does not contact her: nothing is sent until you write.")
    : _("Only the summary is shown until you take this conversation.");
  $("log").hidden = view.log === null;
  const follow = view.log !== null && renderLog(view.log);
  // A supervisor in a colleague's conversation watches read-only, and may write to the colleague.
  const watching = view.monitoring;
  $("monitor").hidden = !watching;
  if (watching) {
    $("monitor-text").textContent = _("Monitoring {name}'s conversation: read-only. The person does not see you.", { name: staffName(ticket.staff) });
    $("whisper-label").textContent = _("Private message to {name} (never sent to the person)", { name: staffName(ticket.staff) });
  }
  const canAct = view.can_act && !watching;
  // After she ended it herself (quick exit): notes and the case form only, nothing can reach her.
  const recording = !view.can_act && view.can_record;
  $("composer").hidden = !canAct && !recording;
  $("directory").hidden = !canAct;
  $("composer").classList.toggle("recording", recording);
  $("mode-reply").hidden = recording;
  if (recording && composerMode() !== "note") setMode("note");
  $("tools").hidden = !canAct && !recording;
  for (const id of ["transfer-row", "hand-back", "block"]) $(id).hidden = recording;
  $("close").textContent = recording ? _("Record the outcome…") : _("Close…");
  $("close-title").textContent = recording ? _("Record the outcome (she has left; nothing is sent to her)") : _("Close this conversation");
  $("close-confirm").textContent = recording ? _("Save the record") : _("Close conversation");
  if (!canAct && !recording) $("close-form").hidden = true;
  $("override-row").hidden = !view.needs_override;
  $("override-text").textContent = view.needs_override
    ? _("Outside the time she said is safe ({reading}). Her words: “{words}”.", { reading: view.needs_override, words: ticket.summary.safe_contact })
    : "";
  if (follow) $("log").scrollTop = $("log").scrollHeight; // after the layout around it is final
  if (canAct) {
    state.staff = await api("GET", "/console/api/staff").catch(() => state.staff); // presence changes
    if (id !== state.open) return;
    fillTransfer(ticket);
    if (state.cannedFor !== id) {
      state.cannedFor = id; // once per ticket, even when live updates reload it meanwhile
      await loadCanned(id);
      await loadDirectory();
    }
  }
}

// The referral directory: checked resources for her country, each with its source and check date.
async function loadDirectory() {
  const id = state.open;
  if (!id) return;
  const query = new URLSearchParams({ q: $("directory-query").value });
  const found = await api("GET", "/console/api/tickets/" + encodeURIComponent(id) + "/resources?" + query).catch(() => null);
  if (!found || id !== state.open) return;
  $("directory-country").textContent = "· " + _("{country} and international", { country: displayName("region", found.country) || _("country not known") });
  $("directory-list").replaceChildren(...found.resources.map((resource) => {
    const item = el("li", "resource");
    item.dataset.resource = resource.id;
    item.appendChild(el("div", "resource-name", resource.country === "international" ? _("{name} (international)", { name: resource.name }) : resource.name));
    item.appendChild(el("div", "meta", resource.description));
    const how = resource.contacts.map((c) => c.type + " " + c.value).join(" · ");
    item.appendChild(el("div", "", [how, resource.hours, resource.free ? _("free") : ""].filter(Boolean).join(" · ")));
    const checked = resource.stale
      ? _("Checked {date} (long ago: confirm before relying on it)", { date: resource.checked })
      : _("Checked {date}", { date: resource.checked });
    const source = el("div", resource.stale ? "meta stale" : "meta", checked + " · " + _("source:") + " ");
    const link = el("a", "", resource.source);
    link.href = resource.source;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    source.appendChild(link);
    item.appendChild(source);
    item.appendChild(button(_("Insert in reply"), "insert-resource", () => {
      const input = $("text");
      setMode("reply");
      input.value = input.value.trim() ? input.value.trimEnd() + "\n" + resource.line : resource.line;
      keepDraft();
      input.focus();
    }));
    return item;
  }));
  $("directory-empty").hidden = found.resources.length > 0;
}

async function loadCanned(id) {
  const replies = await api("GET", "/console/api/tickets/" + encodeURIComponent(id) + "/canned").catch(() => null);
  if (id !== state.open) return;
  if (replies === null) {
    state.cannedFor = null; // try again at the next load
    return;
  }
  state.canned = replies;
  const options = [el("option", "", _("Canned reply…"))];
  options[0].value = "";
  for (const reply of replies) {
    const option = el("option", "", (CANNED_LABELS[reply.key] ? _(CANNED_LABELS[reply.key]) : words(reply.key)) + ": " + reply.text);
    option.value = reply.key;
    option.title = reply.gloss ? reply.text + "\n\n" + _("In English: {text}", { text: reply.gloss }) : reply.text;
    options.push(option);
  }
  $("canned").replaceChildren(...options);
  showCanned();
}

// The chosen canned reply as she will read it, in her language, with an English gloss for staff.
// Choosing (by mouse or with the arrow keys) only shows it; Insert (or Enter) puts it in the box.
function chosenCanned() {
  return state.canned.find((reply) => reply.key === $("canned").value) || null;
}

function showCanned() {
  const reply = chosenCanned();
  $("canned-preview").hidden = !reply;
  if (!reply) return;
  $("canned-language").textContent = languageName(reply.language) + ":";
  $("canned-text").textContent = reply.text;
  $("canned-gloss").textContent = reply.gloss ? _("In English: {text}", { text: reply.gloss }) : "";
  $("canned-gloss").hidden = !reply.gloss;
}

function insertCanned() {
  const reply = chosenCanned();
  if (!reply) return;
  const input = $("text");
  input.value = input.value.trim() ? input.value.trimEnd() + "\n" + reply.text : reply.text;
  $("canned").value = "";
  showCanned();
  keepDraft();
  input.focus();
}

function presenceText(presence) {
  if (!presence) return "";
  if (presence.status === "away") return presence.busy ? _("away ({count} open)", { count: presence.busy }) : _("away");
  return presence.status === "busy" ? _("busy {count}", { count: presence.busy }) : _("online");
}

function fillTransfer(ticket) {
  const select = $("transfer-to");
  const chosen = select.value;
  const others = state.staff.filter((s) => s.name !== ticket.staff);
  select.replaceChildren(...others.map((s) => {
    const who = s.role === "supervisor" ? _("{name} ({login}, supervisor)", { name: s.display_name, login: s.name }) : s.display_name + " (" + s.name + ")";
    const option = el("option", "", who + " · " + presenceText(s.presence));
    option.value = s.name;
    option.dataset.status = s.presence ? s.presence.status : "";
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

async function takeNext(control) {
  await act(control, async () => {
    const taken = await api("POST", "/console/api/take-next");
    await openTicket(taken.ticket.id);
    $("text").focus();
  });
  scheduleBoard();
}

function ticketAction(path, body, after) {
  return (event) => act(event.currentTarget, async () => {
    const id = state.open;
    await sendPendingNow(id); // what was written before goes first
    const result = await api("POST", "/console/api/tickets/" + encodeURIComponent(id) + path, body && body());
    if (after) after(id, result);
    await loadTicket();
  });
}

// --- writing: reply or note, and the undo window ---

function composerMode() {
  return $("composer").classList.contains("note-mode") ? "note" : "reply";
}

function setMode(mode) {
  const note = mode === "note";
  $("composer").classList.toggle("note-mode", note);
  $("composer").classList.toggle("reply-mode", !note);
  $("mode-reply").setAttribute("aria-pressed", String(!note));
  $("mode-note").setAttribute("aria-pressed", String(note));
  const seconds = state.me ? state.me.undo_seconds : 5;
  $("mode-label").textContent = note
    ? _("Internal note: only staff see it. It is never sent to the person.")
    : _("To the person. Enter sends after {s} s, with Undo; Shift+Enter for a new line.", { s: seconds });
  $("text-label").textContent = note ? _("Internal note (never sent)") : _("Message to the person");
  $("text").placeholder = note ? _("Write a note for the file…") : _("Write to the person…");
  $("send").textContent = note ? _("Save note") : _("Send");
  $("canned").hidden = note;
  if (note) $("canned-preview").hidden = true;
  else showCanned();
}

async function submit() {
  const input = $("text");
  const text = input.value.trim();
  const id = state.open;
  if (!text || !id) return;
  if (composerMode() === "note") {
    await act($("send"), async () => {
      await api("POST", "/console/api/tickets/" + encodeURIComponent(id) + "/notes", { text });
      if (id === state.open) input.value = "";
      keepDraft();
      await loadTicket();
    });
    input.focus();
    return;
  }
  const override = $("override").checked;
  if (state.view && state.view.needs_override && !override) {
    notify(_("It is outside the time she said is safe. To write anyway, tick “Send outside her safe time anyway”."));
    return;
  }
  clearNotice();
  const seconds = state.me.undo_seconds;
  const item = { key: Math.random().toString(36).slice(2), ticket: id, text, override, due: Date.now() + seconds * 1000 };
  item.timer = setTimeout(() => deliver(item), seconds * 1000);
  state.pending.push(item);
  input.value = "";
  $("override").checked = false;
  keepDraft();
  renderPending();
  input.focus();
}

function renderPending() {
  const items = state.pending.filter((item) => item.ticket === state.open);
  $("pending").replaceChildren(...items.map((item) => {
    const row = el("li", "entry staff pending");
    row.dataset.key = item.key;
    const head = el("div", "who", _("Not sent yet"));
    const countdown = el("span", "countdown");
    countdown.dataset.due = item.due;
    head.appendChild(countdown);
    const body = el("div", "text", item.text);
    body.dir = "auto";
    const actions = el("div", "pending-actions");
    actions.append(button(_("Undo"), "undo", () => undo(item)), button(_("Send now"), "send-now", () => deliver(item)));
    row.append(head, body, actions);
    return row;
  }));
  tick();
}

function undo(item) {
  if (!state.pending.includes(item)) return;
  clearTimeout(item.timer);
  state.pending = state.pending.filter((other) => other !== item);
  restore(item);
  renderPending();
}

// Puts an unsent reply back where it was written, in front of anything written since.
function restore(item) {
  if (item.ticket === state.open) {
    const input = $("text");
    input.value = input.value.trim() ? item.text + "\n" + input.value : item.text;
    setMode("reply");
    keepDraft();
    input.focus();
  } else {
    const draft = draftOf(item.ticket);
    state.drafts.set(item.ticket, { text: draft.text ? item.text + "\n" + draft.text : item.text, mode: "reply" });
    saveDrafts();
  }
}

// Sends one waiting reply, and those of the same ticket queued before it, in order.
async function deliver(item) {
  const ahead = state.pending.filter((other) => other.ticket === item.ticket);
  for (const next of ahead.slice(0, ahead.indexOf(item) + 1)) {
    if (!state.pending.includes(next)) continue;
    clearTimeout(next.timer);
    state.pending = state.pending.filter((other) => other !== next);
    renderPending();
    try {
      await api("POST", "/console/api/tickets/" + encodeURIComponent(next.ticket) + "/messages", { text: next.text, override: next.override });
    } catch (error) {
      restore(next);
      if (error.status !== 401) notify(_("Not sent: {error} The message is back in the box.", { error: error.message }), error.status === 0);
      return false;
    }
  }
  if (item.ticket === state.open) await loadTicket();
  return true;
}

async function sendPendingNow(id) {
  const mine = state.pending.filter((item) => item.ticket === id);
  if (mine.length && !(await deliver(mine[mine.length - 1]))) throw new ApiError(409, _("A message could not be sent first."));
}

// --- closing with the case form ---

function openCloseForm() {
  const ticket = state.view && state.view.ticket;
  if (!ticket) return;
  const s = ticket.summary;
  $("outcome").value = ""; // chosen for each conversation, never carried over
  $("case-situation").value = words(s.situation);
  $("case-platform").value = s.platform || "";
  for (const box of document.querySelectorAll("#case-risks input")) box.checked = s.risks.includes(box.value);
  $("case-tags").value = "";
  $("case-note").value = "";
  $("close-form").hidden = false;
  $("outcome").focus();
}

function closeBody() {
  const label = (value) => value.trim().replace(/\s+/g, "_") || null;
  return {
    outcome: $("outcome").value,
    note: $("case-note").value,
    case: {
      situation: label($("case-situation").value),
      platform: label($("case-platform").value),
      risks: [...document.querySelectorAll("#case-risks input:checked")].map((box) => box.value),
      tags: $("case-tags").value.split(",").map((tag) => tag.trim()).filter(Boolean),
    },
  };
}

// --- live updates ---

let boardTimer = null;
let ticketTimer = null;

function scheduleBoard() {
  if (boardTimer) return;
  boardTimer = setTimeout(() => {
    boardTimer = null;
    refreshBoard().catch(() => setConnection(_("Could not refresh"), false));
  }, 80);
}

// The open ticket first, then the board: reading it marks it read, so the board counts no unread there.
function scheduleTicket() {
  if (ticketTimer) return;
  ticketTimer = setTimeout(() => {
    ticketTimer = null;
    loadTicket().finally(scheduleBoard);
  }, 80);
}

function setConnection(text, live) {
  $("connection").textContent = text;
  $("connection").classList.toggle("live", live);
}

function onEvent(event) {
  const background = event.ticket !== state.open || document.hidden;
  if (event.type === "queued") attention(_("Someone new is waiting"), _("A person is waiting for the helpline."), event.ticket);
  else if (event.type === "risk") attention(_("Urgent: a risk was raised"), _("A conversation became more urgent."), event.ticket);
  else if (event.type === "transferred" && state.me && event.staff === state.me.name) {
    attention(_("A conversation was transferred to you"), _("Open it from My conversations."), event.ticket);
  } else if (event.type === "whisper" && state.me && event.staff === state.me.name) {
    attention(_("A private message from a supervisor"), _("In one of your conversations."), event.ticket);
  } else if (event.type === "follow_up" && !event.staff) {
    attention(_("A message was left for the helpline"), _("A new follow-up is waiting."), event.ticket);
  } else if (event.type === "message" && !event.staff && state.mine.has(event.ticket) && background) {
    attention(_("New message"), _("In one of your conversations."), event.ticket);
  }
  if (event.ticket === state.open) scheduleTicket();
  else scheduleBoard();
}

// A sound, and a desktop notification (never the person's words: screens are seen by others).
function attention(title, body, ticket) {
  beep();
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const shown = new Notification(title, { body, tag: ticket || title });
  shown.addEventListener("click", () => {
    window.focus();
    if (ticket) openTicket(ticket);
  });
}

// The server answers again: say so, drop the stale connection notice, and catch up.
function back() {
  state.offline = false;
  const live = Boolean(state.source && state.source.readyState === EventSource.OPEN);
  setConnection(live ? _("Live") : _("Reconnecting…"), live);
  if (state.networkNotice) clearNotice();
  if (state.open) scheduleTicket();
  else scheduleBoard();
}

function connect() {
  const source = new EventSource("/console/events");
  state.source = source;
  source.addEventListener("open", back);
  source.addEventListener("message", (message) => onEvent(JSON.parse(message.data)));
  source.addEventListener("error", () => {
    setConnection(_("Reconnecting…"), false);
    if (source.readyState === EventSource.CLOSED) {
      // Refused (e.g. signed out): api() goes to the sign-in page on 401, else try again shortly.
      setTimeout(() => api("GET", "/console/api/me").then(connect, connect), 5000);
    }
  });
}

// --- sound: browsers allow audio only after the user has interacted with the page ---

function unlockAudio() {
  if (!state.audio && window.AudioContext) state.audio = new AudioContext();
  if (state.audio && state.audio.state === "suspended") state.audio.resume().then(showShift);
  showShift();
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

function startShift() {
  unlockAudio();
  if ("Notification" in window && Notification.permission === "default") Notification.requestPermission().then(showShift);
  sessionStorage.setItem("console.shift", "on");
  showShift();
}

function showShift() {
  const on = Boolean(state.audio && state.audio.state === "running");
  $("shift").textContent = on ? _("On shift") : sessionStorage.getItem("console.shift") ? _("Resume sound") : _("Start shift");
  $("shift").classList.toggle("on", on);
}

function showAway() {
  $("away").textContent = state.away ? _("Away") : _("Available");
  $("away").setAttribute("aria-pressed", String(state.away));
  $("away").classList.toggle("on", !state.away);
}

function showSound() {
  $("sound").textContent = state.sound ? _("Sound on") : _("Sound off");
  $("sound").setAttribute("aria-pressed", String(state.sound));
}

// --- wiring ---

function wire() {
  document.addEventListener("pointerdown", unlockAudio);
  document.addEventListener("keydown", unlockAudio);
  $("shift").addEventListener("click", startShift);
  $("ui-language").addEventListener("change", chooseLanguage);
  $("take-next").addEventListener("click", (event) => takeNext(event.currentTarget));
  window.addEventListener("hashchange", openFromLink);
  window.addEventListener("online", scheduleBoard); // back on the network: catch up at once
  window.addEventListener("pagehide", () => { // leaving anyway: unsent replies go back to their drafts
    for (const item of state.pending.splice(0)) {
      clearTimeout(item.timer);
      restore(item);
    }
  });
  window.addEventListener("beforeunload", (event) => {
    keepDraft();
    if (state.pending.length) {
      event.preventDefault(); // replies still in their undo window: the browser asks first
      event.returnValue = "";
    }
  });
  $("away").addEventListener("click", (event) => act(event.currentTarget, async () => {
    const result = await api("POST", "/console/api/presence", { away: !state.away });
    state.away = result.away;
    showAway();
  }));
  $("sound").addEventListener("click", () => {
    state.sound = !state.sound;
    localStorage.setItem("console.sound", state.sound ? "on" : "off");
    showSound();
  });
  $("logout").addEventListener("click", (event) => act(event.currentTarget, async () => {
    await api("POST", "/console/logout");
    sessionStorage.clear(); // drafts stay on this computer only while signed in
    location.assign("/console");
  }));
  $("notice-close").addEventListener("click", clearNotice);
  $("take").addEventListener("click", (event) => claim(state.open, event.currentTarget));
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  $("text").addEventListener("input", keepDraft);
  $("mode-reply").addEventListener("click", () => { setMode("reply"); keepDraft(); $("text").focus(); });
  $("mode-note").addEventListener("click", () => { setMode("note"); keepDraft(); $("text").focus(); });
  $("canned").addEventListener("change", showCanned);
  // The arrow keys move the choice (the same on every platform: never opening the list, never
  // inserting); Enter inserts; Alt+ArrowDown still opens the list.
  $("canned").addEventListener("keydown", (event) => {
    const select = $("canned");
    const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (step && !event.altKey) {
      event.preventDefault();
      select.selectedIndex = Math.min(select.options.length - 1, Math.max(0, select.selectedIndex + step));
      showCanned();
    } else if (event.key === "Enter") {
      event.preventDefault();
      insertCanned();
    }
  });
  $("canned-insert").addEventListener("click", insertCanned);
  $("directory-query").addEventListener("input", () => loadDirectory());
  $("directory-form").addEventListener("submit", (event) => event.preventDefault());
  $("transfer").addEventListener("click", ticketAction("/transfer", () => ({ to: $("transfer-to").value }), () => {
    if (state.me.role !== "supervisor") closeTicket();
  }));
  $("close").addEventListener("click", openCloseForm);
  $("whisper-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = state.open;
    const text = $("whisper-text").value.trim();
    if (!text) return;
    act($("whisper-send"), async () => {
      await api("POST", "/console/api/tickets/" + encodeURIComponent(id) + "/whisper", { text });
      $("whisper-text").value = "";
      await loadTicket();
    });
  });
  const join = ticketAction("/join");
  $("join").addEventListener("click", (event) => {
    const holder = state.view ? staffName(state.view.ticket.staff) : _("the colleague");
    if (!confirm(_("Join this conversation? What you write will reach the person, next to {name}.", { name: holder }))) return;
    join(event);
  });
  $("close-cancel").addEventListener("click", () => { $("close-form").hidden = true; });
  const closed = (id, result) => {
    $("close-form").hidden = true;
    if (result.follow_up) notify(_("Saved. A follow-up task was created: ticket {ticket}.", { ticket: result.follow_up }));
  };
  const close = ticketAction("/close", closeBody, closed);
  const record = ticketAction("/record", closeBody, closed);
  $("close-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const recording = Boolean(state.view && !state.view.can_act && state.view.can_record);
    (recording ? record : close)({ currentTarget: $("close-confirm") });
  });
  const handBack = ticketAction("/hand-back");
  $("hand-back").addEventListener("click", (event) => {
    if (confirm(_("Hand this person back to the automated guide? This conversation closes."))) handBack(event);
  });
  for (const id of ["report-from", "report-to"]) $(id).addEventListener("input", reportLink);
  $("report-show").addEventListener("click", (event) => act(event.currentTarget, async () => {
    const query = new URLSearchParams({ from: $("report-from").value, to: $("report-to").value });
    showCharts(await api("GET", "/console/api/reports?" + query));
  }));
  $("charts-close").addEventListener("click", () => {
    $("charts").hidden = true;
    $("placeholder").hidden = false;
  });
  $("cases-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act($("cases-search"), searchCases);
  });
  const block = ticketAction("/block");
  $("block").addEventListener("click", (event) => {
    if (confirm(_("Block this sender? The assistant will stop answering them, and this conversation closes. A supervisor can undo it."))) {
      block(event);
    }
  });
}

// Closed cases within retention, for supervisors: by period, category, outcome, staff, language, country.
async function searchCases() {
  const query = new URLSearchParams({ from: $("report-from").value, to: $("report-to").value });
  for (const name of ["category", "outcome", "staff", "language", "country"]) {
    const value = $("cases-" + name).value.trim();
    if (value) query.set(name, value);
  }
  const found = await api("GET", "/console/api/cases?" + query);
  fillList("cases", found.cases, { holder: true, closed: true });
  $("cases-count").textContent = found.total > found.cases.length
    ? _("{shown} of {total} shown: narrow the search", { shown: found.cases.length, total: found.total })
    : found.total === 1 ? _("1 case") : _("{count} cases", { count: found.total });
}

// --- the report as charts (supervisors): uPlot, served from /console/static/vendor ---

function showCharts(report) {
  closeTicket();
  $("placeholder").hidden = true;
  $("charts").hidden = false;
  const days = report.days;
  $("charts-title").textContent = _("Report {from} to {to} (UTC)", { from: days[0].day, to: days[days.length - 1].day });
  const share = report.live ? Math.round((100 * report.left_before_taken) / report.live) + " %" : "–";
  const rows = [
    [_("Conversations"), report.opened],
    [_("Waited live"), report.live],
    [_("Left before anyone took them"), report.left_before_taken + " (" + share + ")"],
    [_("Wait, median"), report.waits.median_seconds === null ? "–" : duration(report.waits.median_seconds)],
    [_("Wait, 90th percentile"), report.waits.p90_seconds === null ? "–" : duration(report.waits.p90_seconds)],
  ];
  $("charts-numbers").replaceChildren(...rows.flatMap(([name, value]) => [el("dt", "", name), el("dd", "", value)]));
  barChart($("chart-days"), _("Conversations by day"), days.map((d) => d.day.slice(5)), [
    { label: _("opened"), values: days.map((d) => d.opened), color: "#5b2a86" },
    { label: _("left before taken"), values: days.map((d) => d.left), color: "#c62828" },
  ]);
  barChart($("chart-hours"), _("Conversations by hour of the day (UTC)"), report.hours.map((count, h) => String(h)), [
    { label: _("opened"), values: report.hours, color: "#5b2a86" },
  ]);
  $("chart-bars").replaceChildren(
    barList(_("Outcomes"), report.outcomes, outcomeName),
    barList(_("Situations"), report.situations, (key) => capital(words(key))),
    barList(_("Risks"), report.risks, (key) => (RISK_LABELS[key] ? _(RISK_LABELS[key]) : key)),
    barList(_("Languages"), report.languages, languageName),
    barList(_("Conversations per staff member"), report.staff, staffName),
  );
}

function barChart(target, title, labels, series) {
  target.replaceChildren();
  const xs = labels.map((label, i) => i);
  const options = {
    title,
    width: Math.max(320, Math.min(900, target.clientWidth || 720)),
    height: 220,
    scales: { x: { time: false, range: [-0.5, labels.length - 0.5] } },
    axes: [
      { splits: () => xs, values: (u, splits) => splits.map((i) => labels[i] ?? "") },
      { values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : "")) },
    ],
    series: [{}, ...series.map((s) => ({
      label: s.label, stroke: s.color, fill: s.color + "99", paths: uPlot.paths.bars({ size: [0.8 / series.length, 60] }),
    }))],
  };
  new uPlot(options, [xs, ...series.map((s) => s.values)], target);
}

function barList(title, counts, label) {
  const box = el("section", "bar-list");
  box.appendChild(el("h3", "", title));
  const entries = Object.entries(counts);
  const most = Math.max(1, ...entries.map(([, n]) => n));
  for (const [key, count] of entries) {
    const row = el("div", "bar-row");
    const bar = el("span", "bar-fill");
    bar.style.width = (100 * count) / most + "%";
    const track = el("span", "bar-track");
    track.appendChild(bar);
    row.append(el("span", "bar-label", label(key)), track, el("span", "bar-value", count));
    box.appendChild(row);
  }
  if (!entries.length) box.appendChild(el("p", "empty", _("None in this period.")));
  return box;
}

function reportLink() {
  const query = new URLSearchParams({ from: $("report-from").value, to: $("report-to").value });
  $("report-download").href = "/console/api/reports.csv?" + query;
}

function openFromLink() {
  const found = /^#ticket=([0-9a-f]{1,64})$/.exec(location.hash);
  if (found && found[1] !== state.open) openTicket(found[1]);
}

// The page's own texts (marked data-i18n in console.html), its language and direction.
function applyTexts(page) {
  texts = page.texts;
  state.language = page.language;
  document.documentElement.lang = page.language;
  document.documentElement.dir = page.dir;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    for (const name of ["title", "placeholder", "aria-label"]) {
      if (node.hasAttribute(name)) node.setAttribute(name, _(node.getAttribute(name)));
    }
    if (!node.children.length && node.textContent.trim()) node.textContent = _(node.textContent.split(/\s+/).join(" ").trim());
  }
  $("ui-language").replaceChildren(...page.languages.map((language) => {
    const option = el("option", "", language.name);
    option.value = language.code;
    option.lang = language.code;
    return option;
  }));
  $("ui-language").value = page.language;
}

async function chooseLanguage() {
  await act($("ui-language"), async () => {
    await api("POST", "/console/api/me/language", { language: $("ui-language").value });
    keepDraft();
    location.reload(); // the open conversation and drafts are kept (address and session storage)
  });
}

async function start() {
  applyTexts(await api("GET", "/console/api/texts"));
  wire();
  showSound();
  showShift();
  const me = await api("GET", "/console/api/me");
  state.me = me;
  state.csrf = me.csrf;
  state.away = me.away;
  showAway();
  setMode("reply");
  const role = me.role === "supervisor" ? _("supervisor") : _("agent");
  $("me").textContent = me.display_name + " · " + role + (me.languages.length ? " · " + me.languages.map(languageName).join(", ") : "");
  $("supervisor").hidden = me.role !== "supervisor";
  const choose = el("option", "", _("Choose an outcome…"));
  choose.value = "";
  $("outcome").replaceChildren(choose, ...me.outcomes.map((outcome) => {
    const option = el("option", "", outcomeName(outcome));
    option.value = outcome;
    return option;
  }));
  const anyOutcome = el("option", "", _("Any outcome"));
  anyOutcome.value = "";
  $("cases-outcome").replaceChildren(anyOutcome, ...[...me.outcomes, "quick_exit", "handed_back"].map((outcome) => {
    const option = el("option", "", outcomeName(outcome));
    option.value = outcome;
    return option;
  }));
  $("case-risks").replaceChildren(...me.risks.map((risk) => {
    const label = el("label", "", " " + _(RISK_LABELS[risk]));
    const box = el("input");
    box.type = "checkbox";
    box.value = risk;
    label.prepend(box);
    return label;
  }));
  const today = new Date().toISOString().slice(0, 10);
  $("report-to").value = today;
  $("report-from").value = new Date(Date.now() - 6 * 86400000).toISOString().slice(0, 10);
  reportLink();
  state.staff = await api("GET", "/console/api/staff");
  await refreshBoard();
  openFromLink();
  connect();
  setInterval(tick, 1000);
  setInterval(scheduleBoard, 60000); // a safety net; live events do the real work
}

start().catch((error) => notify(error.message));
