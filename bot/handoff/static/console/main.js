// The helpline console. Everything that came from a person or from staff is shown with textContent
// or DOM APIs, never as HTML. Live updates arrive as Server-Sent Events that name a ticket; the page
// then refetches what it needs from the JSON API, which decides what this staff member may see.
//
// What a counsellor writes is kept until it has left: drafts (and whether they are a reply or a note)
// per conversation in sessionStorage, so a reload or a dropped connection loses nothing; a reply waits
// a few seconds in the page, to be undone, before it is sent. Notes have their own mode, colour and
// endpoint, and can never reach the person.
//
// This module wires the page's controls, deep links and the start; each concern has its own module.

import { act, api } from "./api.js";
import { refreshBoard, tick } from "./board.js";
import { closeBody, openCloseForm, restore, setMode, submit } from "./composer.js";
import { $, clearNotice, el, languageName, notify, outcomeName, staffName } from "./dom.js";
import { _, applyTexts, chooseLanguage, RISK_LABELS } from "./i18n.js";
import { connect, scheduleBoard } from "./live.js";
import { wireInbox } from "./inbox.js";
import { wireInsights } from "./insights.js";
import { reportLink, searchCases, showCharts } from "./reports.js";
import { showAway, showShift, showSound, startShift, unlockAudio } from "./sound.js";
import { keepDraft, state } from "./state.js";
import { claim, closeTicket, insertCanned, loadDirectory, loadTicket, openTicket, showCanned, takeNext, ticketAction } from "./ticket.js";

export function wire() {
  // On click, not pointerdown: unlocking relabels the shift button, and in a longer language ("Commencer
  // le service") the header then rewraps and moves the page between press and release, losing the click.
  document.addEventListener("click", unlockAudio);
  document.addEventListener("keydown", unlockAudio);
  $("shift").addEventListener("click", startShift);
  $("ui-language").addEventListener("change", chooseLanguage);
  $("take-next").addEventListener("click", (event) => takeNext(event.currentTarget));
  window.addEventListener("hashchange", openFromLink);
  window.addEventListener("online", scheduleBoard); // back on the network: catch up at once
  window.addEventListener("pagehide", () => { // leaving anyway: unsent replies go back to their drafts
    for (const item of state.pending.splice(0)) {
      clearTimeout(item.timer);
      restore(item);
    }
  });
  window.addEventListener("beforeunload", (event) => {
    keepDraft();
    if (state.pending.length) {
      event.preventDefault(); // replies still in their undo window: the browser asks first
      event.returnValue = "";
    }
  });
  $("away").addEventListener("click", (event) => act(event.currentTarget, async () => {
    const result = await api("POST", "/console/api/presence", { away: !state.away });
    state.away = result.away;
    showAway();
  }));
  $("sound").addEventListener("click", () => {
    state.sound = !state.sound;
    localStorage.setItem("console.sound", state.sound ? "on" : "off");
    showSound();
  });
  $("logout").addEventListener("click", (event) => act(event.currentTarget, async () => {
    await api("POST", "/console/logout");
    sessionStorage.clear(); // drafts stay on this computer only while signed in
    location.assign("/console");
  }));
  $("notice-close").addEventListener("click", clearNotice);
  $("take").addEventListener("click", (event) => claim(state.open, event.currentTarget));
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  $("text").addEventListener("input", keepDraft);
  $("mode-reply").addEventListener("click", () => { setMode("reply"); keepDraft(); $("text").focus(); });
  $("mode-note").addEventListener("click", () => { setMode("note"); keepDraft(); $("text").focus(); });
  $("canned").addEventListener("change", showCanned);
  // The arrow keys move the choice (the same on every platform: never opening the list, never
  // inserting); Enter inserts; Alt+ArrowDown still opens the list.
  $("canned").addEventListener("keydown", (event) => {
    const select = $("canned");
    const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (step && !event.altKey) {
      event.preventDefault();
      select.selectedIndex = Math.min(select.options.length - 1, Math.max(0, select.selectedIndex + step));
      showCanned();
    } else if (event.key === "Enter") {
      event.preventDefault();
      insertCanned();
    }
  });
  $("canned-insert").addEventListener("click", insertCanned);
  $("directory-query").addEventListener("input", () => loadDirectory());
  $("directory-form").addEventListener("submit", (event) => event.preventDefault());
  $("transfer").addEventListener("click", ticketAction("/transfer", () => ({ to: $("transfer-to").value }), () => {
    if (state.me.role !== "supervisor") closeTicket();
  }));
  $("close").addEventListener("click", openCloseForm);
  $("whisper-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = state.open;
    const text = $("whisper-text").value.trim();
    if (!text) return;
    act($("whisper-send"), async () => {
      await api("POST", "/console/api/tickets/" + encodeURIComponent(id) + "/whisper", { text });
      $("whisper-text").value = "";
      await loadTicket();
    });
  });
  const join = ticketAction("/join");
  $("join").addEventListener("click", (event) => {
    const holder = state.view ? staffName(state.view.ticket.staff) : _("the colleague");
    if (!confirm(_("Join this conversation? What you write will reach the person, next to {name}.", { name: holder }))) return;
    join(event);
  });
  $("close-cancel").addEventListener("click", () => { $("close-form").hidden = true; });
  const closed = (id, result) => {
    $("close-form").hidden = true;
    if (result.follow_up) notify(_("Saved. A follow-up task was created: ticket {ticket}.", { ticket: result.follow_up }));
  };
  const close = ticketAction("/close", closeBody, closed);
  const record = ticketAction("/record", closeBody, closed);
  $("close-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const recording = Boolean(state.view && !state.view.can_act && state.view.can_record);
    (recording ? record : close)({ currentTarget: $("close-confirm") });
  });
  const handBack = ticketAction("/hand-back");
  $("hand-back").addEventListener("click", (event) => {
    if (confirm(_("Hand this person back to the automated guide? This conversation closes."))) handBack(event);
  });
  for (const id of ["report-from", "report-to"]) $(id).addEventListener("input", reportLink);
  $("report-show").addEventListener("click", (event) => act(event.currentTarget, async () => {
    const query = new URLSearchParams({ from: $("report-from").value, to: $("report-to").value });
    showCharts(await api("GET", "/console/api/reports?" + query));
  }));
  $("charts-close").addEventListener("click", () => {
    $("charts").hidden = true;
    $("placeholder").hidden = false;
  });
  wireInsights();
  wireInbox();
  $("cases-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act($("cases-search"), searchCases);
  });
  const block = ticketAction("/block");
  $("block").addEventListener("click", (event) => {
    if (confirm(_("Block this sender? The assistant will stop answering them, and this conversation closes. A supervisor can undo it."))) {
      block(event);
    }
  });
}

export function openFromLink() {
  const found = /^#ticket=([0-9a-f]{1,64})$/.exec(location.hash);
  if (found && found[1] !== state.open) openTicket(found[1]);
}

export async function start() {
  applyTexts(await api("GET", "/console/api/texts"));
  wire();
  showSound();
  showShift();
  const me = await api("GET", "/console/api/me");
  state.me = me;
  state.csrf = me.csrf;
  state.away = me.away;
  showAway();
  setMode("reply");
  const role = me.role === "supervisor" ? _("supervisor") : _("agent");
  $("me").textContent = me.display_name + " · " + role + (me.languages.length ? " · " + me.languages.map(languageName).join(", ") : "");
  $("supervisor").hidden = me.role !== "supervisor";
  const choose = el("option", "", _("Choose an outcome…"));
  choose.value = "";
  $("outcome").replaceChildren(choose, ...me.outcomes.map((outcome) => {
    const option = el("option", "", outcomeName(outcome));
    option.value = outcome;
    return option;
  }));
  const anyOutcome = el("option", "", _("Any outcome"));
  anyOutcome.value = "";
  $("cases-outcome").replaceChildren(anyOutcome, ...[...me.outcomes, "quick_exit", "handed_back"].map((outcome) => {
    const option = el("option", "", outcomeName(outcome));
    option.value = outcome;
    return option;
  }));
  $("case-risks").replaceChildren(...me.risks.map((risk) => {
    const label = el("label", "", " " + _(RISK_LABELS[risk]));
    const box = el("input");
    box.type = "checkbox";
    box.value = risk;
    label.prepend(box);
    return label;
  }));
  const today = new Date().toISOString().slice(0, 10);
  $("report-to").value = today;
  $("report-from").value = new Date(Date.now() - 6 * 86400000).toISOString().slice(0, 10);
  reportLink();
  state.staff = await api("GET", "/console/api/staff");
  await refreshBoard();
  openFromLink();
  connect();
  setInterval(tick, 1000);
  setInterval(scheduleBoard, 60000); // a safety net; live events do the real work
}

start().catch((error) => notify(error.message));
