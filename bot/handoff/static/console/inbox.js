// Supervisors label the inbox: sentences people agreed to share after the assistant did not understand
// them (bot/inbox/), scrubbed and linked to no one. Accept the model's guess, correct the intent, mark
// the platform the sentence names, or discard it; labelled sentences leave this list for the export.

import { act, api } from "./api.js";
import { $, button, el, languageName, words } from "./dom.js";
import { _ } from "./i18n.js";
import { closeTicket } from "./ticket.js";

function intentSelect(intents, chosen) {
  const select = el("select", "inbox-intent");
  select.setAttribute("aria-label", _("Intent"));
  for (const intent of intents) {
    const option = el("option", "", words(intent));
    option.value = intent;
    select.appendChild(option);
  }
  select.value = chosen;
  return select;
}

function row(item, intents) {
  const box = el("li", "inbox-item");
  box.dataset.id = item.id;
  box.appendChild(el("p", "inbox-text", item.text));
  const guess = _("{language} · the model guessed {intent} ({confidence} %) · {day}", {
    language: languageName(item.language),
    intent: words(item.guess),
    confidence: Math.round(100 * item.confidence),
    day: item.day,
  });
  box.appendChild(el("p", "meta", guess));
  const intent = intentSelect(intents, intents.includes(item.guess) ? item.guess : intents[0]);
  const platform = el("input", "inbox-platform");
  platform.placeholder = _("Platform, as written (optional)");
  platform.setAttribute("aria-label", _("Platform, as written (optional)"));
  const change = (body) => (event) => act(event.currentTarget, async () => {
    await api("POST", "/console/api/inbox/" + item.id, body());
    await showInbox();
  });
  const save = button(_("Save label"), "", change(() => ({ action: "label", intent: intent.value, platform: platform.value })));
  const discard = button(_("Discard"), "", change(() => ({ action: "discard" })));
  const controls = el("div", "inbox-controls");
  controls.append(intent, platform, save, discard);
  box.appendChild(controls);
  return box;
}

export async function showInbox() {
  const data = await api("GET", "/console/api/inbox?lang=" + encodeURIComponent($("inbox-language").value));
  closeTicket();
  $("charts").hidden = true;
  $("insights-view").hidden = true;
  $("placeholder").hidden = true;
  $("inbox-view").hidden = false;
  $("inbox-items").replaceChildren(...data.items.map((item) => row(item, data.intents)));
  $("inbox-empty").hidden = data.items.length > 0;
}

export function wireInbox() {
  // The languages the console speaks are the assistant's: the same list filters the sentences.
  const languages = [...$("ui-language").options].map((option) => option.value).filter(Boolean);
  $("inbox-language").append(...languages.map((code) => {
    const option = el("option", "", languageName(code));
    option.value = code;
    return option;
  }));
  $("inbox-show").addEventListener("click", (event) => act(event.currentTarget, showInbox));
  $("inbox-close").addEventListener("click", () => {
    $("inbox-view").hidden = true;
    $("placeholder").hidden = false;
  });
}
