// Small helpers: building elements (always as text, never HTML), times, names, notices.

import { _, labels, OUTCOME_LABELS } from "./i18n.js";
import { state } from "./state.js";

export const $ = (id) => document.getElementById(id);


export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function button(text, className, onClick) {
  const node = el("button", className, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

export function now() {
  return Date.now() / 1000 + state.clockOffset;
}

export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return _("{s} s", { s });
  if (s < 3600) return _("{m} min {s} s", { m: Math.floor(s / 60), s: String(s % 60).padStart(2, "0") });
  return _("{h} h {m} min", { h: Math.floor(s / 3600), m: String(Math.floor((s % 3600) / 60)).padStart(2, "0") });
}

export function clock(at) {
  return new Date(at * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function when(at) {
  const date = new Date(at * 1000);
  const today = new Date().toDateString() === date.toDateString();
  return today ? clock(at) : date.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

export function words(id) {
  return id ? String(id).replace(/[_-]+/g, " ") : "";
}

// A situation, platform or channel id by its name in the console's language; an id with no name (a
// situation staff typed in the case form) as its words.
export function idName(kind, id) {
  if (!id) return "";
  return (labels[kind] && labels[kind][id]) || words(id);
}

// What staff wrote in the case form, back as an id: a name the console shows for one is that id (so a
// prefilled "Compte piraté" is still counted as secure_account), anything else a label of its words.
// A step done or skipped, by the words she was shown in the staff member's language ("steps" labels
// are "<playbook>.<step>"); the id's words when the step is not in the content any more.
export function stepName(situation, id) {
  return (labels.steps && labels.steps[`${situation}.${id}`]) || words(id);
}

export function idOf(kind, text) {
  const typed = text.trim().replace(/\s+/g, " ");
  if (!typed) return null;
  const lower = typed.toLocaleLowerCase(state.language);
  const named = Object.entries(labels[kind] || {}).find(([, name]) => name.toLocaleLowerCase(state.language) === lower);
  return named ? named[0] : typed.replace(/ /g, "_");
}

export function outcomeName(outcome) {
  return OUTCOME_LABELS[outcome] ? _(OUTCOME_LABELS[outcome]) : capital(words(outcome));
}

export function outcomeWord(outcome) { // inside a sentence
  return outcomeName(outcome).toLocaleLowerCase(state.language);
}

export function displayName(kind, code) {
  if (!code) return "";
  try {
    const name = new Intl.DisplayNames([state.language], { type: kind }).of(code);
    return name && name !== code ? name + " (" + code + ")" : code;
  } catch {
    return code;
  }
}

export function staffName(name) {
  if (!name) return "";
  if (state.me && name === state.me.name) return _("you");
  const member = state.staff.find((s) => s.name === name);
  return member ? member.display_name + " (" + name + ")" : name;
}

export function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function notify(message, network = false) {
  $("notice-text").textContent = message;
  $("notice").hidden = false;
  state.networkNotice = network;
}

export function clearNotice() {
  $("notice").hidden = true;
  $("notice-text").textContent = "";
  state.networkNotice = false;
}

export function languageName(code) {
  if (!code) return "";
  try {
    return new Intl.DisplayNames([state.language], { type: "language" }).of(code) || code;
  } catch {
    return code;
  }
}

export function speaks(code) {
  return Boolean(state.me && state.me.languages.includes(code));
}
