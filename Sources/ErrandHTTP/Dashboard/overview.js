// The overview: the tasks finished per minute and the failure rate over the last hour as charts, task counts by
// queue and state, the leader, and the workers. The charts' series is read at most every 5 s (changes refresh the
// counts more often), and the page re-reads itself every 10 s so that the hour slides on when nothing happens.

import { api } from "./api.js";
import { finishedCharts } from "./chart.js";
import { badge, el, replace, table, time, zone } from "./view.js";
import { states, tasksLink } from "./tasks.js";

export async function page() {
  const holder = el("div");
  let series = null;
  let seriesReadAt = 0;
  async function refresh() {
    const chartDue = Date.now() - seriesReadAt >= 5000;
    const [statistics, { workers }, finished] = await Promise.all([api("/v1/statistics"), api("/v1/workers"),
      chartDue ? api("/v1/statistics/finished?minutes=60") : null]);
    if (finished) [series, seriesReadAt] = [finished.minutes, Date.now()];
    const link = (params, count) => el("a", { href: tasksLink(params), textContent: String(count) });
    const rows = statistics.queues.map((queue) => [queue.queue,
      ...states.map((state) => link({ queue: queue.queue, state }, queue.counts[state])), String(queue.total)]);
    rows.push([el("strong", { textContent: "all" }), ...states.map((state) => link({ state }, statistics.totals[state])),
      String(statistics.queues.reduce((sum, queue) => sum + queue.total, 0))]);
    const workerRows = workers.map((worker) =>
      [worker.name, badge(worker.state), worker.queues.join(", ") || "all", time(worker.last_heartbeat_at)]);
    replace(holder,
      el("p", { id: "leader", textContent: statistics.leader ? `Leader: ${statistics.leader}` : "No leader" }),
      el("h3", { textContent: "The last hour" }),
      finishedCharts(series, { utc: zone() === "UTC" }),
      el("h3", { textContent: "Tasks by queue and state" }),
      table(["Queue", ...states.map((state) => `#${state}`), "#total"], rows, { id: "queues" }),
      el("h3", { textContent: "Workers" }),
      table(["Name", "State", "Queues", "Last heartbeat"], workerRows, { id: "workers" }));
  }
  await refresh();
  return {
    title: "Overview", node: el("section", { id: "overview" }, el("h2", { textContent: "Overview" }), holder), refresh,
    every: 10000,
  };
}
