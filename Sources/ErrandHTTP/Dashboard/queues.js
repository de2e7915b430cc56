// The queues page: each queue's state and task counts by state, live; an admin may suspend (claims stop, tasks stay
// pending), resume or delete a queue (with its tasks, after a confirmation).

import { api } from "./api.js";
import { action, badge, el, replace, table } from "./view.js";
import { states, tasksLink } from "./tasks.js";

export async function page(_params, { role }) {
  const holder = el("div");
  async function refresh() {
    const { queues } = await api("/v1/queues");
    const rows = queues.map((queue) => {
      const path = `/v1/queues/${encodeURIComponent(queue.name)}`;
      const change = queue.state === "suspended"
        ? action("Resume", role, () => api(`${path}/resume`, { method: "POST" }).then(refresh))
        : action("Suspend", role, () => api(`${path}/suspend`, { method: "POST" }).then(refresh));
      const remove = action("Delete", role, () => api(path, { method: "DELETE" }).then(refresh), {
        danger: true, confirmText: `Delete queue ${queue.name} and its ${queue.total} tasks?`,
      });
      const counts = states.map((state) => el("a", { href: tasksLink({ queue: queue.name, state }), textContent: String(queue.counts[state]) }));
      return [el("a", { href: tasksLink({ queue: queue.name }), textContent: queue.name }), badge(queue.state), ...counts,
        String(queue.total), el("span", { className: "actions" }, change, remove)];
    });
    const list = table(["Queue", "State", ...states.map((state) => `#${state}`), "#total", "Actions"], rows, { id: "queue-list" });
    queues.forEach((queue, index) => { list.tBodies[0].rows[index].dataset.queue = queue.name; });
    replace(holder, list, queues.length === 0 ? el("p", { className: "muted", textContent: "No queue yet." }) : null);
  }
  await refresh();
  return { title: "Queues", node: el("section", {}, el("h2", { textContent: "Queues" }), holder), refresh };
}
