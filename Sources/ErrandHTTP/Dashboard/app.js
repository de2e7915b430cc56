// The dashboard's overview: task counts by queue and state, the leader, and the workers, read from the HTTP API with
// the bearer token the viewer signs in with (kept in sessionStorage, never in a URL), and read again as the event
// stream reports changes.

import { follow } from "./live.js";

const tokenKey = "errand.token";

/** The token's header, when the viewer signed in. */
function authorization() {
  const token = sessionStorage.getItem(tokenKey);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** Calls the API; resolves to the parsed JSON body, or throws an Error carrying the HTTP status. */
async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json", ...authorization() } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.detail || `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

/** A table cell (`td`, or `th` for a header) holding `text`, right-aligned when it is a count. */
function cell(text, isCount = false, tag = "td") {
  const element = document.createElement(tag);
  element.textContent = String(text);
  if (isCount) element.className = "count";
  return element;
}

function showQueues(statistics) {
  const table = document.getElementById("queues");
  const states = Object.keys(statistics.totals);
  table.tHead.rows[0].replaceChildren(cell("Queue", false, "th"), ...[...states, "total"].map((state) => cell(state, true, "th")));
  const rows = statistics.queues.map((queue) => {
    const tr = document.createElement("tr");
    tr.append(cell(queue.queue), ...states.map((state) => cell(queue.counts[state], true)), cell(queue.total, true));
    return tr;
  });
  table.tBodies[0].replaceChildren(...rows);
  document.getElementById("leader").textContent = statistics.leader ? `leader: ${statistics.leader}` : "no leader";
}

function showWorkers(answer) {
  const rows = answer.workers.map((worker) => {
    const tr = document.createElement("tr");
    tr.append(cell(worker.name), cell(worker.state), cell(worker.queues.join(", ") || "all"), cell(worker.last_heartbeat_at));
    return tr;
  });
  document.getElementById("workers").tBodies[0].replaceChildren(...rows);
}

let following = false;

async function load() {
  const status = document.getElementById("status");
  const login = document.getElementById("login");
  try {
    const [statistics, workers] = await Promise.all([api("/v1/statistics"), api("/v1/workers")]);
    showQueues(statistics);
    showWorkers(workers);
    status.textContent = "";
    document.getElementById("overview").hidden = false;
    login.hidden = true;
    document.getElementById("logout").hidden = !sessionStorage.getItem(tokenKey);
    if (!following) {
      following = true;
      const live = document.getElementById("live");
      follow({ headers: authorization, onChange: load, onState: (state) => { live.textContent = state; live.className = state; } });
    }
  } catch (error) {
    status.textContent = error.status === 401 ? "Sign in with a read or admin token." : `Cannot load: ${error.message}`;
    login.hidden = error.status !== 401;
  }
}

document.getElementById("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(tokenKey, document.getElementById("token").value);
  load();
});

document.getElementById("logout").addEventListener("click", () => {
  sessionStorage.removeItem(tokenKey);
  location.reload();
});

load();
