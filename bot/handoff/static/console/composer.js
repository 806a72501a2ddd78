// Writing: reply or note, the undo window, and closing with the case form.

import { act, api, ApiError } from "./api.js";
import { tick } from "./board.js";
import { $, button, clearNotice, el, idName, idOf, notify } from "./dom.js";
import { _ } from "./i18n.js";
import { draftOf, keepDraft, saveDrafts, state } from "./state.js";
import { loadTicket, showCanned } from "./ticket.js";

export function composerMode() {
  return $("composer").classList.contains("note-mode") ? "note" : "reply";
}

export function setMode(mode) {
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

export async function submit() {
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

export function renderPending() {
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

export function undo(item) {
  if (!state.pending.includes(item)) return;
  clearTimeout(item.timer);
  state.pending = state.pending.filter((other) => other !== item);
  restore(item);
  renderPending();
}

// Puts an unsent reply back where it was written, in front of anything written since.
export function restore(item) {
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
export async function deliver(item) {
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

export async function sendPendingNow(id) {
  const mine = state.pending.filter((item) => item.ticket === id);
  if (mine.length && !(await deliver(mine[mine.length - 1]))) throw new ApiError(409, _("A message could not be sent first."));
}

// --- closing with the case form ---

export function openCloseForm() {
  const ticket = state.view && state.view.ticket;
  if (!ticket) return;
  const s = ticket.summary;
  $("outcome").value = ""; // chosen for each conversation, never carried over
  $("case-situation").value = idName("situations", s.situation);
  $("case-platform").value = idName("platforms", s.platform);
  for (const box of document.querySelectorAll("#case-risks input")) box.checked = s.risks.includes(box.value);
  $("case-tags").value = "";
  $("case-note").value = "";
  $("close-form").hidden = false;
  $("outcome").focus();
}

export function closeBody() {
  return {
    outcome: $("outcome").value,
    note: $("case-note").value,
    case: {
      situation: idOf("situations", $("case-situation").value),
      platform: idOf("platforms", $("case-platform").value),
      risks: [...document.querySelectorAll("#case-risks input:checked")].map((box) => box.value),
      tags: $("case-tags").value.split(",").map((tag) => tag.trim()).filter(Boolean),
    },
  };
}
