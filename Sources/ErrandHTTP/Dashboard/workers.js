// The workers page: how many workers are running, lost or salvaged; every registered worker with its state, queues,
// heartbeat age and the running tasks it holds (a program claiming over HTTP is registered by its claims, marked
// "remote"); and the lease holders not in the registry. Heartbeats and losses are not task changes, so besides the
// live refreshes the page re-reads the list every 2 s while it is shown.

import { api } from "./api.js";
import { age, badge, el, replace, table, time } from "./view.js";

const states = ["running", "lost", "salvaged", "succeeded", "failed"];

export async function page() {
  const holder = el("div");
  async function refresh() {
    const { workers, tasks_held: held } = await api("/v1/workers");
    const byState = Object.fromEntries(states.map((state) => [state, workers.filter((worker) => worker.state === state).length]));
    const summary = el("p", { id: "worker-summary" }, ...states.flatMap((state) =>
      [badge(state), ` ${byState[state]}  `]));
    // A lease name's tasks are held by its running (or lost, not yet salvaged) record, not by the ones that ended.
    const holding = (worker) => worker.state === "running" || worker.state === "lost";
    const rows = workers.map((worker) => [worker.spec?.remote ? `${worker.name} (remote)` : worker.name, badge(worker.state),
      worker.queues.join(", ") || "all", time(worker.started_at), age(worker.last_heartbeat_at),
      String(holding(worker) ? held[worker.lease_name] ?? 0 : 0),
      worker.salvaged_by ?? "", worker.salvaged_at ? time(worker.salvaged_at) : ""]);
    const registered = new Set(workers.map((worker) => worker.lease_name));
    const others = Object.entries(held).filter(([name]) => !registered.has(name)).map(([name, count]) => [name, String(count)]);
    replace(holder, summary,
      table(["Name", "State", "Queues", "Started", "Heartbeat age", "#Tasks held", "Salvaged by", "Salvaged"], rows, { id: "worker-list" }),
      workers.length === 0 ? el("p", { className: "muted", textContent: "No worker has registered (errand worker)." }) : null,
      el("h3", { textContent: "Other lease holders" }),
      el("p", { className: "muted", textContent: "Workers holding leases that are not in the registry." }),
      table(["Worker", "#Tasks held"], others, { id: "lease-holders" }));
  }
  await refresh();
  return { title: "Workers", node: el("section", {}, el("h2", { textContent: "Workers" }), holder), refresh, every: 2000 };
}
