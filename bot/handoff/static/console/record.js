// Her record, shown read-only when she chose to share it at handoff (the API refuses otherwise).
// The field names come translated from the server (the same labels as her PDF); her words are hers.

import { api } from "./api.js";
import { $, el, when } from "./dom.js";
import { _ } from "./i18n.js";
import { state } from "./state.js";

function field(name, value) {
  const pair = el("div", "pair");
  const text = el("dd", "", value);
  text.dir = "auto";
  pair.append(el("dt", "", name), text);
  return pair;
}

function entryItem(entry, number, labels) {
  const item = el("li", "record-entry");
  item.appendChild(el("div", "past-head", labels.entry.replace("{number}", number) + " · " + labels.written + " " + when(entry.written_at)));
  const day = entry.day ? new Date(entry.day + "T12:00:00Z").toLocaleDateString([], { dateStyle: "medium" }) : "";
  const rows = [
    [labels.when, [entry.when, day && day !== entry.when ? "(" + day + ")" : ""].filter(Boolean).join(" ")],
    [labels.where, entry.platform || entry.where],
    [labels.who, entry.who],
    [labels.what, entry.what],
    [labels.links, entry.links.join(" ")],
    [labels.screenshots, entry.screenshots === null ? "" : labels[entry.screenshots ? "yes" : "no"]],
    [labels.files, entry.files.map((f) => (labels[f.kind] || f.kind) + " " + when(f.at)).join(", ")],
  ];
  const list = el("dl", "summary");
  list.append(...rows.filter(([, value]) => value).map(([name, value]) => field(name, value)));
  item.appendChild(list);
  return item;
}

// Called with each load of the open ticket: shown only to those who may read the conversation.
export async function renderSharedRecord(view) {
  const id = state.open;
  const shown = view.log !== null && view.ticket.summary.record_shared && !view.ticket.erased;
  $("shared-record").hidden = !shown;
  if (!shown) return;
  const record = await api("GET", "/console/api/tickets/" + encodeURIComponent(id) + "/shared-record").catch(() => null);
  if (id !== state.open) return;
  if (record === null) {
    $("shared-record").hidden = true;
    return;
  }
  $("shared-record-title").textContent = _("Her record, shared by her (read-only). Entries: {count}", { count: record.entries.length });
  $("shared-record-list").replaceChildren(...record.entries.map((entry, index) => entryItem(entry, index + 1, record.labels)));
}
