// A task tree: every task under a root drawn as nested boxes, each with its own state and the state of its whole
// subtree rolled up (failed wins over running, running over waiting, waiting over done), and progress summed; an
// admin may abort a subtree (the task manager's abort: the task and its unfinished abortable descendants).

import { api } from "./api.js";
import { action, badge, el, replace, taskLink } from "./view.js";

/** The roll-up order: the first state found in a subtree is its state. */
const rollUpOrder = ["failed", "dead", "running", "pending", "scheduled", "cancelled", "completed"];

/** Each task's rolled-up state and summed progress, by id, for tasks listed breadth first from the root. */
export function rollUp(tasks) {
  const children = new Map();
  for (const task of tasks) {
    if (task.parent_id) children.set(task.parent_id, [...(children.get(task.parent_id) ?? []), task]);
  }
  const result = new Map();
  for (const task of [...tasks].reverse()) {
    const own = children.get(task.id) ?? [];
    const found = new Set([task.state, ...own.map((child) => result.get(child.id).state)]);
    const state = rollUpOrder.find((candidate) => found.has(candidate)) ?? task.state;
    const finished = own.reduce((sum, child) => sum + result.get(child.id).finished, task.state === "completed" ? 1 : 0);
    const total = own.reduce((sum, child) => sum + result.get(child.id).total, 1);
    result.set(task.id, { state, finished, total });
  }
  return { children, result };
}

export async function page(params, { role }) {
  const id = params.get("id");
  const node = el("section", { id: "tree" });
  async function refresh() {
    const { tasks } = await api(`/v1/tasks/${encodeURIComponent(id)}/tree`);
    const { children, result } = rollUp(tasks);
    const draw = (task) => {
      const summary = result.get(task.id);
      const abort = task.state === "completed" || task.state === "failed" || task.state === "cancelled" || task.state === "dead"
        ? null
        : action("Abort", role, () => api(`/task_manager/abort_task/${task.id}`, { method: "POST" }).then(() => refresh()), { danger: true });
      const box = el("li", { dataset: { id: task.id, state: task.state, rolledUp: summary.state } },
        el("div", { className: "node" }, taskLink(task.id), ` ${task.name ?? task.handler} `, badge(task.state),
          el("span", { className: "muted", textContent: ` subtree: ` }), badge(summary.state),
          el("span", { className: "muted", textContent: ` ${summary.finished}/${summary.total} done ` }), abort));
      const own = children.get(task.id) ?? [];
      if (own.length > 0) box.append(el("ul", {}, ...own.map(draw)));
      return box;
    };
    const roots = tasks.filter((task) => !task.parent_id || !tasks.some((other) => other.id === task.parent_id));
    replace(node, el("h2", { textContent: "Tree" }), el("ul", { className: "tree" }, ...roots.map(draw)));
  }
  await refresh();
  return { title: "Tree", node, refresh };
}
