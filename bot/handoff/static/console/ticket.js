// The open conversation: summary, earlier contacts, log, directory, canned replies, transfers.

import { act, api } from "./api.js";
import { headline, riskBadges, waitingLine } from "./board.js";
import { composerMode, renderPending, sendPendingNow, setMode } from "./composer.js";
import { $, button, capital, clearNotice, clock, displayName, el, idName, languageName, notify, outcomeWord, staffName, stepName, when, words } from "./dom.js";
import { _, CANNED_LABELS } from "./i18n.js";
import { scheduleBoard } from "./live.js";
import { renderSharedRecord } from "./record.js";
import { draftOf, keepDraft, state } from "./state.js";

export function summaryRows(ticket) {
  const s = ticket.summary;
  if (ticket.erased) return [["data", _("Data"), _("The person erased their data.")]];
  const yesNo = (value) => (value ? _("yes") : _("no"));
  return [
    ["situation", _("Situation"), idName("situations", s.situation) || _("not said")],
    ["platform", _("Platform"), idName("platforms", s.platform) || _("not said")],
    ["risk", _("Risk"), null],
    ["language", _("Language"), displayName("language", s.language)],
    ["channel", _("Channel"), idName("channels", s.channel)],
    ["country", _("Country"), displayName("region", s.country) || _("not known")],
    ["safe", _("Safe contact"), s.safe_contact || _("not given")],
    ["done", _("Steps done"), s.steps_done.map((id) => stepName(s.situation, id)).join("; ") || _("none")],
    ["skipped", _("Steps skipped"), s.steps_skipped.map((id) => stepName(s.situation, id)).join("; ") || _("none")],
    ["transcript", _("Transcript shared"), yesNo(s.transcript_shared)],
    ["record", _("Her record shared"), yesNo(s.record_shared)],
    ...(ticket.state === "queued" ? [["waiting", _("While waiting"), null]] : []),
  ];
}

export function safeNow(reading) {
  const line = el("span", reading.safe_now ? "safe-now" : "safe-now outside");
  line.textContent = reading.safe_now
    ? _("Read as {reading} · inside it now", { reading: reading.reading })
    : _("Read as {reading} · outside it now ({time})", { reading: reading.reading, time: reading.her_time });
  return line;
}

export function renderSummary(ticket) {
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

export function stateLine(ticket) {
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

export function systemText(entry) {
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

export const AUTHORS = {
  person: () => _("Person"),
  bot: () => _("Assistant (shared transcript)"),
  staff: (entry) => capital(staffName(entry.staff)),
  note: (entry) => entry.to
    ? _("Private message from {name} to {to} (not sent)", { name: staffName(entry.staff), to: staffName(entry.to) })
    : _("Internal note by {name} (not sent)", { name: staffName(entry.staff) }),
};

export function renderPrevious(previous) {
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
      past.staff ? _("with {name}", { name: staffName(past.staff) }) : "", idName("situations", situation),
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
export function renderLog(entries) {
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

export async function openTicket(id) {
  $("charts").hidden = true;
  $("insights-view").hidden = true;
  $("inbox-view").hidden = true;
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

export function closeTicket() {
  keepDraft();
  state.open = null;
  state.openState = null;
  state.view = null;
  history.replaceState(null, "", location.pathname);
  $("ticket").hidden = true;
  $("placeholder").hidden = false;
}

export async function loadTicket() {
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
  await renderSharedRecord(view);
  if (id !== state.open) return;
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
  for (const control of ["transfer-row", "hand-back", "block"]) $(control).hidden = recording;
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
export async function loadDirectory() {
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

export async function loadCanned(id) {
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
export function chosenCanned() {
  return state.canned.find((reply) => reply.key === $("canned").value) || null;
}

export function showCanned() {
  const reply = chosenCanned();
  $("canned-preview").hidden = !reply;
  if (!reply) return;
  $("canned-language").textContent = languageName(reply.language) + ":";
  $("canned-text").textContent = reply.text;
  $("canned-gloss").textContent = reply.gloss ? _("In English: {text}", { text: reply.gloss }) : "";
  $("canned-gloss").hidden = !reply.gloss;
}

export function insertCanned() {
  const reply = chosenCanned();
  if (!reply) return;
  const input = $("text");
  input.value = input.value.trim() ? input.value.trimEnd() + "\n" + reply.text : reply.text;
  $("canned").value = "";
  showCanned();
  keepDraft();
  input.focus();
}

export function presenceText(presence) {
  if (!presence) return "";
  if (presence.status === "away") return presence.busy ? _("away ({count} open)", { count: presence.busy }) : _("away");
  return presence.status === "busy" ? _("busy {count}", { count: presence.busy }) : _("online");
}

export function fillTransfer(ticket) {
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

export async function claim(id, control) {
  await act(control, async () => {
    await api("POST", "/console/api/tickets/" + encodeURIComponent(id) + "/claim");
    await openTicket(id);
    $("text").focus();
  });
  scheduleBoard();
}

export async function takeNext(control) {
  await act(control, async () => {
    const taken = await api("POST", "/console/api/take-next");
    await openTicket(taken.ticket.id);
    $("text").focus();
  });
  scheduleBoard();
}

export function ticketAction(path, body, after) {
  return (event) => act(event.currentTarget, async () => {
    const id = state.open;
    await sendPendingNow(id); // what was written before goes first
    const result = await api("POST", "/console/api/tickets/" + encodeURIComponent(id) + path, body && body());
    if (after) after(id, result);
    await loadTicket();
  });
}
