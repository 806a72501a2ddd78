// The console's own language: its texts from the gettext catalogs (bot/handoff/console_texts.py),
// the page's marked texts, lang and dir, and the staff member's choice.

import { act, api } from "./api.js";
import { $, el } from "./dom.js";
import { keepDraft, state } from "./state.js";

// The console's own texts: English here, translated through the assistant's gettext catalogs
// (bot/handoff/console_texts.py); N_ marks a text kept in a table and translated where it is shown.
export let texts = {};
// The names of the ids in a summary (situations, platforms, channels) in the console's language: the
// assistant's own labels for them, from the same catalogs.
export let labels = {};
export const N_ = (text) => text;
export function _(text, params) {
  const translated = texts[text] || text;
  if (!params) return translated;
  return translated.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
}

export const TITLE = N_("SafeSpaces console");
export const RISKS = ["danger", "self_harm", "minor", "ncii", "stalkerware"]; // most urgent first
export const RISK_LABELS = {
  danger: N_("Danger"), self_harm: N_("Self-harm"), minor: N_("Minor"), ncii: N_("Intimate images"),
  stalkerware: N_("Stalkerware"),
};
export const CANNED_LABELS = {
  greeting: N_("Greeting"), safe_now: N_("Are you safe now?"), evidence: N_("Keeping evidence"),
  report: N_("Reporting"), follow_up: N_("Following up"), goodbye: N_("Goodbye"),
};
export const OUTCOME_LABELS = {
  resolved: N_("Resolved"), referred: N_("Referred"), follow_up_needed: N_("Follow up needed"),
  no_response: N_("No response"), abusive: N_("Abusive"), other: N_("Other"), quick_exit: N_("Quick exit"),
  handed_back: N_("Handed back to the bot"), cancelled: N_("Cancelled"), left_message: N_("Left a message"),
};

export const OFFLINE = N_("Cannot reach the server. Check the connection: what you wrote is kept.");

// The page's own texts (marked data-i18n in console.html), its language and direction.
export function applyTexts(page) {
  texts = page.texts;
  labels = page.labels;
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

export async function chooseLanguage() {
  await act($("ui-language"), async () => {
    await api("POST", "/console/api/me/language", { language: $("ui-language").value });
    keepDraft();
    location.reload(); // the open conversation and drafts are kept (address and session storage)
  });
}
