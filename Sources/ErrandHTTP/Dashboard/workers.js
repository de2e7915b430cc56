// The workers page: every registered worker process, its state, queues and heartbeat age.

import { api } from "./api.js";
import { age, badge, el, replace, table, time } from "./view.js";

export async function page() {
  const holder = el("div");
  async function refresh() {
    const { workers } = await api("/v1/workers");
    const rows = workers.map((worker) => [worker.name, badge(worker.state), worker.queues.join(", ") || "all",
      time(worker.started_at), age(worker.last_heartbeat_at), worker.salvaged_by ?? ""]);
    replace(holder, 
      table(["Name", "State", "Queues", "Started", "Heartbeat age", "Salvaged by"], rows, { id: "worker-list" }),
      workers.length === 0 ? el("p", { className: "muted", textContent: "No worker has registered (errand worker)." }) : null);
  }
  await refresh();
  return { title: "Workers", node: el("section", {}, el("h2", { textContent: "Workers" }), holder), refresh };
}
