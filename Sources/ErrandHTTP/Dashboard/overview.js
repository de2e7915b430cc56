// The overview: task counts by queue and state, the leader, and the workers.

import { api } from "./api.js";
import { badge, el, replace, table, time } from "./view.js";
import { states, tasksLink } from "./tasks.js";

export async function page() {
  const holder = el("div");
  async function refresh() {
    const [statistics, { workers }] = await Promise.all([api("/v1/statistics"), api("/v1/workers")]);
    const link = (params, count) => el("a", { href: tasksLink(params), textContent: String(count) });
    const rows = statistics.queues.map((queue) => [queue.queue,
      ...states.map((state) => link({ queue: queue.queue, state }, queue.counts[state])), String(queue.total)]);
    rows.push([el("strong", { textContent: "all" }), ...states.map((state) => link({ state }, statistics.totals[state])),
      String(statistics.queues.reduce((sum, queue) => sum + queue.total, 0))]);
    const workerRows = workers.map((worker) =>
      [worker.name, badge(worker.state), worker.queues.join(", ") || "all", time(worker.last_heartbeat_at)]);
    replace(holder, 
      el("p", { id: "leader", textContent: statistics.leader ? `Leader: ${statistics.leader}` : "No leader" }),
      el("h3", { textContent: "Tasks by queue and state" }),
      table(["Queue", ...states.map((state) => `#${state}`), "#total"], rows, { id: "queues" }),
      el("h3", { textContent: "Workers" }),
      table(["Name", "State", "Queues", "Last heartbeat"], workerRows, { id: "workers" }));
  }
  await refresh();
  return { title: "Overview", node: el("section", { id: "overview" }, el("h2", { textContent: "Overview" }), holder), refresh };
}
