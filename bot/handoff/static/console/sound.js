// Sound and the shift: browsers allow audio only after the user has interacted with the page.

import { $ } from "./dom.js";
import { _ } from "./i18n.js";
import { state } from "./state.js";

export function unlockAudio() {
  if (!state.audio && window.AudioContext) state.audio = new AudioContext();
  if (state.audio && state.audio.state === "suspended") state.audio.resume().then(showShift);
  showShift();
}

export function beep() {
  if (!state.sound || !state.audio) return;
  const audio = state.audio;
  const oscillator = audio.createOscillator();
  const gain = audio.createGain();
  const start = audio.currentTime;
  oscillator.type = "sine";
  oscillator.frequency.setValueAtTime(880, start);
  gain.gain.setValueAtTime(0.0001, start);
  gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.25);
  oscillator.connect(gain).connect(audio.destination);
  oscillator.start(start);
  oscillator.stop(start + 0.3);
}

export function startShift() {
  unlockAudio();
  if ("Notification" in window && Notification.permission === "default") Notification.requestPermission().then(showShift);
  sessionStorage.setItem("console.shift", "on");
  showShift();
}

export function showShift() {
  const on = Boolean(state.audio && state.audio.state === "running");
  $("shift").textContent = on ? _("On shift") : sessionStorage.getItem("console.shift") ? _("Resume sound") : _("Start shift");
  $("shift").classList.toggle("on", on);
}

export function showAway() {
  $("away").textContent = state.away ? _("Away") : _("Available");
  $("away").setAttribute("aria-pressed", String(state.away));
  $("away").classList.toggle("on", !state.away);
}

export function showSound() {
  $("sound").textContent = state.sound ? _("Sound on") : _("Sound off");
  $("sound").setAttribute("aria-pressed", String(state.sound));
}
