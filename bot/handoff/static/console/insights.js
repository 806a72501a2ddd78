// Supervisors' anonymised insights: a period's published tables (bot/insights/), as bars per
// breakdown, filtered by breakdown and country, with the same tables as CSV and JSON files.
// Withheld counts come as null and are shown as withheld: the page never has more than may be published.

import { act, api } from "./api.js";
import { $, capital, el, languageName, outcomeName, words } from "./dom.js";
import { _, N_, RISK_LABELS } from "./i18n.js";
import { closeTicket } from "./ticket.js";

const ALL = "all";
const DIMENSION_LABELS = {
  language: N_("Language"), channel: N_("Channel"), situation: N_("Situation"), platform: N_("Platform"),
  reached_person: N_("Reached a person"), outcome: N_("Outcome"),
};
// The two units of bot/insights/counts.py, each with tables of its own.
const UNIT_LABELS = {
  tickets: N_("Closed helpline tickets"),
  conversations: N_("Conversations, by situation started"),
};
let shown = null; // the report on screen, filtered again without asking the server

function dimensionName(dimension) {
  if (dimension.startsWith("risk_")) return _(RISK_LABELS[dimension.slice(5)] || dimension);
  return DIMENSION_LABELS[dimension] ? _(DIMENSION_LABELS[dimension]) : capital(words(dimension));
}

function tableName(table) {
  return _(UNIT_LABELS[table.unit] || table.unit) + ": " + dimensionName(table.dimension);
}

function tableId(table) {
  return table.unit + ":" + table.dimension;
}

function valueName(dimension, value) {
  if (value === "unknown") return _("Unknown");
  if (dimension === "situation" && value === "danger") return _(RISK_LABELS.danger);
  if (dimension === "situation" && value === "self_harm") return _(RISK_LABELS.self_harm);
  if (value === "yes" || value === "no") return capital(_(value));
  if (dimension === "language") return languageName(value);
  if (dimension === "outcome") return outcomeName(value);
  return capital(words(value));
}

function query() {
  return new URLSearchParams({ from: $("insights-from").value, to: $("insights-to").value });
}

function links() {
  $("insights-csv").href = "/console/api/insights.csv?" + query();
  $("insights-json").href = "/console/api/insights.json?" + query();
}

function options(select, entries) {
  const kept = select.value;
  select.replaceChildren(...entries.map(([value, label]) => {
    const option = el("option", "", label);
    option.value = value;
    return option;
  }));
  if (entries.some(([value]) => value === kept)) select.value = kept;
}

// One breakdown as bars: each value's count in the chosen country (or all), withheld ones marked.
function bars(table, country) {
  const box = el("section", "bar-list");
  box.dataset.unit = table.unit;
  box.dataset.dimension = table.dimension;
  box.appendChild(el("h3", "", tableName(table)));
  const cells = table.cells.filter((cell) => cell.country === country);
  const most = Math.max(1, ...cells.map((cell) => cell.count || 0));
  for (const cell of cells) {
    const row = el("div", cell.value === ALL ? "bar-row bar-total" : "bar-row");
    const track = el("span", "bar-track");
    if (cell.count !== null) {
      const bar = el("span", "bar-fill");
      bar.style.width = (100 * cell.count) / most + "%";
      track.appendChild(bar);
    } else {
      track.classList.add("withheld");
    }
    const label = cell.value === ALL ? _("Total") : valueName(table.dimension, cell.value);
    row.append(el("span", "bar-label", label), track, el("span", "bar-value", cell.count ?? _("withheld")));
    box.appendChild(row);
  }
  return box;
}

function draw() {
  const dimension = $("insights-dimension").value;
  const country = $("insights-country").value || ALL;
  const tables = shown.tables.filter((table) => !dimension || tableId(table) === dimension);
  const counted = shown.tables.some((table) => table.cells.some((cell) => cell.value !== ALL));
  $("insights-bars").replaceChildren(...(counted ? tables.map((table) => bars(table, country)) : []));
  $("insights-empty").hidden = counted;
}

export function showInsights(report) {
  closeTicket();
  $("charts").hidden = true;
  $("placeholder").hidden = true;
  $("insights-view").hidden = false;
  $("inbox-view").hidden = true;
  shown = report;
  $("insights-title").textContent = _("Anonymised insights {from} to {to}", { from: report.period.from, to: report.period.to });
  $("insights-method").textContent = _(
    "Closed helpline tickets, and conversations by each situation they started, counted by month. Counts below {k} are withheld, and so are the counts that would give them away: these tables can be published as they are.",
    { k: report.min_count },
  );
  const countries = [...new Set(report.tables.flatMap((table) => table.cells.map((cell) => cell.country)))];
  options($("insights-country"), [["", _("All countries")], ...countries.filter((c) => c !== ALL).map((c) => [c, c])]);
  options($("insights-dimension"), [["", _("All breakdowns")], ...report.tables.map((t) => [tableId(t), tableName(t)])]);
  draw();
}

export function wireInsights() {
  for (const id of ["insights-from", "insights-to"]) $(id).addEventListener("input", links);
  for (const id of ["insights-dimension", "insights-country"]) {
    $(id).addEventListener("change", () => { if (shown) draw(); });
  }
  $("insights-show").addEventListener("click", (event) => act(event.currentTarget, async () => {
    showInsights(await api("GET", "/console/api/insights?" + query()));
  }));
  $("insights-close").addEventListener("click", () => {
    $("insights-view").hidden = true;
    $("placeholder").hidden = false;
  });
  const month = new Date().toISOString().slice(0, 7);
  $("insights-to").value = month;
  $("insights-from").value = month.slice(0, 4) + "-01";
  links();
}
