// The dashboard's shell: signs in (the token stays in sessionStorage), routes `#/PAGE?FILTERS` to a page module,
// keeps the time-zone and theme switches, and refreshes the shown page as the shared event stream reports changes.

import { api, APIError, signIn, signOut, token } from "./api.js";
import { follow } from "./live.js";
import { applyTheme, el, notice, readOnlyReason, replace, setTheme, setZone, theme, zone } from "./view.js";
import * as overview from "./overview.js";
import * as tasks from "./tasks.js";
import * as task from "./task.js";
import * as tree from "./tree.js";
import * as queues from "./queues.js";
import * as definitions from "./definitions.js";
import * as workers from "./workers.js";
import * as deadLetters from "./dead-letters.js";

/** Pages by the first segment of the hash; the second, when present, is the page's `id` parameter. */
const pages = { "": overview, tasks, task, tree, queues, definitions, workers, "dead-letters": deadLetters };

let role = null;
let shown = null;
let following = false;
let ticking = null;

/** The page and its parameters named by `location.hash` (`#/tasks?state=failed`, `#/task/ID`). */
function route() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, id] = path.split("/");
  const params = new URLSearchParams(query ?? "");
  if (id) params.set("id", decodeURIComponent(id));
  return { module: pages[name] ?? null, name, params };
}

async function render() {
  const main = document.getElementById("page");
  const { module, name, params } = route();
  for (const link of document.querySelectorAll("nav.pages-nav a")) {
    link.toggleAttribute("aria-current", link.getAttribute("href") === `#/${name}`);
  }
  if (!module) {
    replace(main, el("p", { className: "error", textContent: `No page ${location.hash}.` }));
    return;
  }
  try {
    const current = await module.page(params, { role });
    if (route().module !== module) return;
    shown = current;
    // A page whose figures move with time, not with task changes (heartbeat ages), asks to be re-read `every` ms.
    clearInterval(ticking);
    ticking = current.every ? setInterval(refresh, current.every) : null;
    document.title = `${current.title} · Errand`;
    replace(main, current.node);
  } catch (error) {
    shown = null;
    clearInterval(ticking);
    if (error instanceof APIError && error.status === 401) return showLogin("The token was refused: sign in again.");
    replace(main, el("p", { className: "error", textContent: `Cannot load: ${error.message}` }));
  }
}

/** Refreshes the shown page in place after changes; a failure shows in the notice and the next change retries. */
async function refresh() {
  if (!shown?.refresh) return;
  try {
    await shown.refresh();
    if (document.getElementById("notice").classList.contains("stale")) notice("");
  } catch (error) {
    notice(`Cannot refresh: ${error.message}`, true);
    document.getElementById("notice").classList.add("stale");
  }
}

function showLogin(message) {
  document.getElementById("login").hidden = false;
  document.getElementById("logout").hidden = true;
  document.getElementById("page").replaceChildren(el("p", { className: "muted", textContent: message }));
}

async function start() {
  try {
    ({ role } = await api("/v1/whoami"));
  } catch (error) {
    if (error instanceof APIError && error.status === 401) return showLogin("Sign in with a read or admin token.");
    document.getElementById("page").replaceChildren(el("p", { className: "error", textContent: `Cannot reach the API: ${error.message}` }));
    return;
  }
  document.getElementById("login").hidden = true;
  document.getElementById("logout").hidden = !token();
  const badge = document.getElementById("role");
  badge.textContent = role === "admin" ? "admin" : "read only";
  badge.title = role === "admin" ? "This token may act." : readOnlyReason;
  document.documentElement.dataset.role = role;
  await render();
  if (!following) {
    following = true;
    const live = document.getElementById("live");
    follow({
      headers: () => (token() ? { Authorization: `Bearer ${token()}` } : {}),
      onChanges: refresh,
      onState: (state) => {
        live.textContent = state;
        live.className = state;
      },
    });
  }
}

function setUpSwitches() {
  const zoneSwitch = document.getElementById("zone");
  zoneSwitch.value = zone();
  zoneSwitch.onchange = () => {
    setZone(zoneSwitch.value);
    refresh();
  };
  const themeSwitch = document.getElementById("theme");
  themeSwitch.value = theme();
  themeSwitch.onchange = () => setTheme(themeSwitch.value);
  applyTheme();
}

document.getElementById("login").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn(document.getElementById("token").value);
  start();
});

document.getElementById("logout").addEventListener("click", () => {
  signOut();
  location.reload();
});

window.addEventListener("hashchange", () => {
  if (role) render();
});

setUpSwitches();
start();
