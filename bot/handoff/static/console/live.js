// Live updates: Server-Sent Events that name a ticket, the connection state, and attention.

import { api } from "./api.js";
import { refreshBoard } from "./board.js";
import { $, clearNotice } from "./dom.js";
import { _ } from "./i18n.js";
import { beep } from "./sound.js";
import { state } from "./state.js";
import { loadTicket, openTicket } from "./ticket.js";

export let boardTimer = null;
export let ticketTimer = null;

export function scheduleBoard() {
  if (boardTimer) return;
  boardTimer = setTimeout(() => {
    boardTimer = null;
    refreshBoard().catch(() => setConnection(_("Could not refresh"), false));
  }, 80);
}

// The open ticket first, then the board: reading it marks it read, so the board counts no unread there.
export function scheduleTicket() {
  if (ticketTimer) return;
  ticketTimer = setTimeout(() => {
    ticketTimer = null;
    loadTicket().finally(scheduleBoard);
  }, 80);
}

export function setConnection(text, live) {
  $("connection").textContent = text;
  $("connection").classList.toggle("live", live);
}

export function onEvent(event) {
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
export function attention(title, body, ticket) {
  beep();
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const shown = new Notification(title, { body, tag: ticket || title });
  shown.addEventListener("click", () => {
    window.focus();
    if (ticket) openTicket(ticket);
  });
}

// The server answers again: say so, drop the stale connection notice, and catch up.
export function back() {
  state.offline = false;
  const live = Boolean(state.source && state.source.readyState === EventSource.OPEN);
  setConnection(live ? _("Live") : _("Reconnecting…"), live);
  if (state.networkNotice) clearNotice();
  if (state.open) scheduleTicket();
  else scheduleBoard();
}

export function connect() {
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
