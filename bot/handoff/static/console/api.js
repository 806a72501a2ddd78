// The JSON API: every request, the offline state, and actions on buttons.

import { clearNotice, notify } from "./dom.js";
import { _, OFFLINE } from "./i18n.js";
import { back, scheduleBoard, setConnection } from "./live.js";
import { state } from "./state.js";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status; // 0: the server could not be reached
  }
}


export async function api(method, path, body) {
  const init = { method, headers: {}, credentials: "same-origin", cache: "no-store" };
  if (method !== "GET") init.headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    state.offline = true;
    setConnection(_("Offline: retrying…"), false);
    if (!state.retry) state.retry = setTimeout(() => { state.retry = null; scheduleBoard(); }, 5000);
    throw new ApiError(0, _(OFFLINE));
  }
  if (state.offline) back();
  if (response.status === 401) {
    location.assign("/console");
    throw new ApiError(401, _("You are signed out."));
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.error || _("Something went wrong ({status}).", { status: response.status }));
  return data;
}

export async function act(control, work) {
  if (control) control.disabled = true;
  try {
    clearNotice();
    return await work();
  } catch (error) {
    if (error.status !== 401) notify(error.message, error.status === 0);
    return undefined;
  } finally {
    if (control) control.disabled = false;
  }
}
