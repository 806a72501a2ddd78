// What the page keeps: the open conversation, drafts per conversation (in sessionStorage), replies
// waiting out the undo window, and the staff member's settings.

import { composerMode } from "./composer.js";
import { $ } from "./dom.js";

export const DRAFTS = "console.drafts";

export const state = {
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

export function loadDrafts() {
  try {
    return new Map(Object.entries(JSON.parse(sessionStorage.getItem(DRAFTS) || "{}")));
  } catch {
    return new Map();
  }
}

export function saveDrafts() {
  sessionStorage.setItem(DRAFTS, JSON.stringify(Object.fromEntries(state.drafts)));
}

export function draftOf(id) {
  return state.drafts.get(id) || { text: "", mode: "reply" };
}

export function keepDraft() {
  if (!state.open) return;
  const draft = { text: $("text").value, mode: composerMode() };
  if (draft.text || draft.mode !== "reply") state.drafts.set(state.open, draft);
  else state.drafts.delete(state.open);
  saveDrafts();
}
