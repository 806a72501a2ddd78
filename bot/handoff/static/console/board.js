// The left panel: who is waiting, my conversations, follow-ups, and the supervisor's team view.

import { act, api } from "./api.js";
import { $, button, clock, displayName, duration, el, idName, languageName, now, outcomeWord, speaks, staffName, when, words } from "./dom.js";
import { _, RISK_LABELS, RISKS, TITLE } from "./i18n.js";
import { attention } from "./live.js";
import { state } from "./state.js";
import { claim, openTicket, safeNow } from "./ticket.js";

export function riskBadges(risks) {
  const row = el("span", "badges");
  for (const risk of RISKS) {
    if (risks.includes(risk)) row.appendChild(el("span", "badge risk-" + risk, _(RISK_LABELS[risk])));
  }
  return row;
}

export function headline(summary) {
  return [idName("situations", summary.situation) || _("Not said"), idName("platforms", summary.platform)].filter(Boolean).join(" · ");
}

export function ticketItem(ticket, options) {
  const item = el("li", "ticket");
  item.dataset.ticket = ticket.id;
  if (ticket.id === state.open) item.classList.add("current");
  const open = button("", "open", () => openTicket(ticket.id));
  open.appendChild(riskBadges(ticket.summary.risks));
  open.appendChild(el("span", "headline", ticket.erased ? _("Erased by the person") : headline(ticket.summary)));
  const s = ticket.summary;
  const meta = el("span", "meta");
  const language = el("span", speaks(s.language) ? "language mine" : "language", languageName(s.language));
  if (speaks(s.language)) language.title = _("You speak this language");
  meta.append(language, ...[idName("channels", s.channel), displayName("region", s.country)].filter(Boolean).map((part) => " · " + part));
  open.appendChild(meta);
  if (options.safeContact && s.safe_contact) {
    open.appendChild(el("span", "safe", _("Safe contact: {words}", { words: s.safe_contact })));
    if (ticket.safe_contact) open.appendChild(safeNow(ticket.safe_contact));
  }
  if (options.waiting && ticket.waiting.count) open.appendChild(waitingLine(ticket.waiting));
  if (ticket.follow_up_of) open.appendChild(el("span", "meta", _("Follow-up of ticket {ticket}", { ticket: ticket.follow_up_of })));
  if (options.holder) open.appendChild(el("span", "meta", _("With {name}", { name: staffName(ticket.staff) })));
  if (ticket.unread) {
    const unread = el("span", "unread", _("{count} new", { count: ticket.unread }));
    unread.setAttribute("aria-label", _("New messages: {count}", { count: ticket.unread }));
    open.appendChild(unread);
  }
  if (options.closed) {
    open.appendChild(el("span", "meta", _("Opened {opened} · closed {closed} · {outcome}", {
      opened: when(ticket.created_at), closed: ticket.closed_at ? when(ticket.closed_at) : "", outcome: outcomeWord(ticket.outcome),
    })));
  } else {
    const wait = el("span", "wait");
    wait.dataset.since = options.since === "claimed" ? ticket.claimed_at : ticket.created_at;
    wait.dataset.label = options.sinceLabel;
    if (options.warnLong) wait.dataset.warn = "long";
    open.appendChild(wait);
  }
  item.appendChild(open);
  if (options.take) {
    const take = button(_("Take"), "take", () => claim(ticket.id, take));
    take.setAttribute("aria-label", _("Take: {headline}", { headline: headline(ticket.summary) }));
    item.appendChild(take);
  }
  return item;
}

// What she wrote while waiting: how many messages, and the latest (to triage on before taking).
export function waitingLine(waiting) {
  const line = el("span", "waiting-messages");
  const count = waiting.count === 1 ? _("1 message while waiting") : _("{count} messages while waiting", { count: waiting.count });
  line.appendChild(el("span", "waiting-count", count));
  if (waiting.latest) {
    line.appendChild(document.createTextNode(" · " + _("latest {time}:", { time: clock(waiting.latest.at) }) + " "));
    const latest = el("q", "waiting-latest", waiting.latest.text);
    latest.dir = "auto";
    line.appendChild(latest);
  }
  return line;
}

export function fillList(id, tickets, options) {
  $(id).replaceChildren(...tickets.map((ticket) => ticketItem(ticket, options)));
  $(id + "-empty").hidden = tickets.length > 0;
}

export let boardVersion = 0;

export async function refreshBoard() {
  const version = ++boardVersion;
  const board = await api("GET", "/console/api/board");
  if (version !== boardVersion) return; // a newer refresh is on its way
  state.clockOffset = board.now - Date.now() / 1000;
  fillList("queue", board.queue, { take: true, warnLong: true, waiting: true, since: "created", sinceLabel: _("waiting {time}") });
  fillList("mine", board.mine, { since: "claimed", sinceLabel: _("taken {time}") });
  fillList("follow-ups", board.follow_ups, { take: true, safeContact: true, since: "created", sinceLabel: _("left {time}") });
  if (board.everyone) fillList("everyone", board.everyone, { holder: true, since: "claimed", sinceLabel: _("taken {time}") });
  state.mine = new Set(board.mine.map((ticket) => ticket.id));
  $("queue-count").textContent = board.queue.length;
  $("take-next").disabled = board.queue.length === 0;
  const unread = board.mine.reduce((sum, ticket) => sum + ticket.unread, 0);
  const waiting = board.queue.length ? "(" + board.queue.length + ") " : "";
  document.title = (unread ? "✉" + unread + " " : "") + waiting + _(TITLE);
  tick();
  if (state.me.role === "supervisor") await refreshTeam();
}

export async function refreshTeam() {
  const [stats, audit, blocked] = await Promise.all([
    api("GET", "/console/api/stats"), api("GET", "/console/api/audit"), api("GET", "/console/api/blocked"),
  ]);
  const rows = [
    [_("Waiting"), stats.waiting],
    [_("With staff"), stats.with_staff],
    [_("Follow-ups"), stats.follow_ups],
    [_("Longest wait"), duration(stats.longest_wait_seconds)],
    [_("Average wait today"), stats.average_wait_seconds === null ? "–" : duration(stats.average_wait_seconds)],
    [_("Handled today"), stats.handled_today],
  ];
  $("stats").replaceChildren(...rows.flatMap(([name, value]) => [el("dt", "", name), el("dd", "", value)]));
  $("blocked").replaceChildren(...blocked.map((record) => {
    const item = el("li", "", _("Ticket {ticket}, blocked by {name} {when}", {
      ticket: record.ticket, name: staffName(record.by), when: when(record.at),
    }) + " ");
    item.appendChild(button(_("Unblock"), "", (event) => act(event.currentTarget, async () => {
      await api("POST", "/console/api/blocked/" + encodeURIComponent(record.id) + "/unblock");
      await refreshTeam();
    })));
    return item;
  }));
  $("blocked-empty").hidden = blocked.length > 0;
  $("audit").replaceChildren(...audit.map((entry) => el(
    "li", "", when(entry.at) + "  " + entry.staff + "  " + words(entry.action) + (entry.ticket ? "  " + entry.ticket : ""),
  )));
}

export function tick() {
  const longWait = state.me ? state.me.long_wait_seconds : 600;
  for (const node of document.querySelectorAll("[data-since]")) {
    const since = Number(node.dataset.since);
    if (!since) continue;
    const seconds = now() - since;
    node.textContent = node.dataset.label.replace("{time}", duration(seconds));
    const long = node.dataset.warn === "long" && seconds >= longWait;
    node.classList.toggle("long", long);
    const id = node.closest("li").dataset.ticket;
    if (long && !state.alerted.has(id)) {
      state.alerted.add(id);
      attention(
        _("Someone has waited over {time}", { time: duration(longWait) }),
        _("Waiting: {headline}", { headline: node.closest("li").querySelector(".headline").textContent }), id,
      );
    }
  }
  for (const node of document.querySelectorAll("#pending [data-due]")) {
    node.textContent = _("Sending in {s} s", { s: Math.max(0, Math.ceil((Number(node.dataset.due) - Date.now()) / 1000)) });
  }
}
