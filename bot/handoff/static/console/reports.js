// Supervisors' closed-case search and the report as charts (uPlot, served from /console/static/vendor).

import { api } from "./api.js";
import { fillList } from "./board.js";
import { $, capital, duration, el, idName, languageName, outcomeName, staffName } from "./dom.js";
import { _, RISK_LABELS } from "./i18n.js";
import { closeTicket } from "./ticket.js";

// Closed cases within retention, for supervisors: by period, category, outcome, staff, language, country.
export async function searchCases() {
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

export function showCharts(report) {
  closeTicket();
  $("placeholder").hidden = true;
  $("charts").hidden = false;
  $("insights-view").hidden = true;
  $("inbox-view").hidden = true;
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
    barList(_("Situations"), report.situations, (key) => capital(idName("situations", key))),
    barList(_("Risks"), report.risks, (key) => (RISK_LABELS[key] ? _(RISK_LABELS[key]) : key)),
    barList(_("Languages"), report.languages, languageName),
    barList(_("Conversations per staff member"), report.staff, staffName),
  );
}

export function barChart(target, title, labels, series) {
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

export function barList(title, counts, label) {
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

export function reportLink() {
  const query = new URLSearchParams({ from: $("report-from").value, to: $("report-to").value });
  $("report-download").href = "/console/api/reports.csv?" + query;
}
