// A task's page: its fields, its arguments and result exactly as stored (rawMembers keeps every digit), every
// attempt in order, the state-change timeline those make, and what an admin may do to it: cancel, retry, or release
// a running task's lease at once.

import { api, callText } from "./api.js";
import { rawMembers } from "./json.js";
import { action, badge, el, raw, replace, table, taskLink, time } from "./view.js";

const finalStates = ["completed", "failed", "cancelled", "dead"];

function field(name, value) {
  return [el("dt", { textContent: name }), el("dd", {}, value instanceof Node ? value : String(value ?? "—"))];
}

/**
 * The task's state changes, oldest first, read from its record and its attempt history: created, each attempt's claim and outcome (with who salvaged a lost lease), the attempt
 * running now, and the final state. Rows are `[time, badge, what happened]`.
 */
export function timeline(task, attempts) {
  // A retry moves run_at, so only a task never claimed tells whether it was created pending or scheduled.
  const waiting = attempts.length === 0 && ["pending", "scheduled"].includes(task.state);
  const changes = [[task.created_at, waiting ? task.state : "created", `created in ${task.queue}`]];
  for (const attempt of attempts) {
    changes.push([attempt.started_at, "running", `attempt ${attempt.number} claimed by ${attempt.worker}`]);
    const salvaged = attempt.salvaged_by ? ` (lease expired; salvaged by ${attempt.salvaged_by})` : "";
    changes.push([attempt.finished_at, attempt.outcome, `attempt ${attempt.number} ${attempt.outcome}${salvaged}${attempt.message ? `: ${attempt.message}` : ""}`]);
  }
  if (task.state === "running" && task.started_at) {
    changes.push([task.started_at, "running", `attempt ${task.attempt} claimed by ${task.worker}, running now`]);
  }
  if (finalStates.includes(task.state)) {
    changes.push([task.finished_at, task.state, task.last_error ?? task.message ?? task.state]);
  }
  return changes
    .map((change, index) => ({ change, index }))
    .sort((a, b) => (a.change[0] ?? "~").localeCompare(b.change[0] ?? "~") || a.index - b.index)
    .map(({ change: [at, state, text] }) => [time(at), badge(state), text]);
}

export async function page(params, { role }) {
  const id = params.get("id");
  const node = el("section", { id: "task" });
  async function refresh() {
    const text = await callText(`/v1/tasks/${encodeURIComponent(id)}`);
    const task = JSON.parse(text);
    const members = rawMembers(text);
    const { attempts } = await api(`/v1/tasks/${encodeURIComponent(id)}/attempts`);
    const reload = () => refresh();
    const post = (path, body) => api(`/v1/tasks/${encodeURIComponent(id)}/${path}`, { method: "POST", body });
    const actions = el("div", { className: "actions" });
    if (!finalStates.includes(task.state)) {
      actions.append(action("Cancel", role, () => post("cancel", { reason: "cancelled from the dashboard" }).then(reload), { danger: true }));
    } else {
      actions.append(action("Retry", role, () => post("retry").then(reload)));
      if (!task.parent_id) {
        const remove = async () => {
          await api(`/v1/tasks/${encodeURIComponent(id)}`, { method: "DELETE" });
          location.hash = "#/tasks";
        };
        actions.append(action("Delete", role, remove, {
          danger: true, confirmText: "Delete this task, its tree and their attempts? This cannot be undone.",
        }));
      }
    }
    if (task.state === "running" && task.worker) {
      actions.append(action("Expire lease now", role, () => post("unclaim", { worker: task.worker, attempt: task.attempt }).then(reload)));
    }
    const progress = task.progress ? `${task.progress.completed} / ${task.progress.total}` : null;
    const fields = el("dl", { className: "fields" },
      ...field("Id", el("span", { className: "mono", textContent: task.id })),
      ...field("State", badge(task.state)),
      ...field("Queue", task.queue), ...field("Handler", task.handler), ...field("Name", task.name),
      ...field("Priority", task.priority), ...field("Attempt", `${task.attempt} of ${task.retry.max_attempts}`),
      ...field("Worker", task.worker), ...field("Progress", progress),
      ...field("Created", time(task.created_at)), ...field("Run at", time(task.run_at)),
      ...field("Started", time(task.started_at)), ...field("Finished", time(task.finished_at)),
      ...field("Lease expires", time(task.lease_expires_at)),
      ...field("Message", task.message), ...field("Last error", task.last_error),
      ...field("Module", task.module), ...field("Tags", task.tags.join(", ") || null),
      ...field("Parent", task.parent_id ? taskLink(task.parent_id) : null),
      ...field("Tree", task.root_id || task.has_children
        ? el("a", { href: `#/tree/${task.root_id ?? task.id}`, textContent: "show the tree" }) : null));
    const attemptRows = attempts.map((attempt) => [
      String(attempt.number), attempt.worker, time(attempt.started_at), time(attempt.finished_at), badge(attempt.outcome),
      attempt.message ?? "",
    ]);
    replace(node,
      el("h2", {}, `${task.handler} `, badge(task.state)),
      actions, fields,
      el("h3", { textContent: "Arguments" }), raw(members.arguments, "arguments"),
      el("h3", { textContent: "Result" }), raw(members.result, "result"),
      el("h3", { textContent: "Attempts" }),
      table(["#", "Worker", "Started", "Finished", "Outcome", "Message"], attemptRows, { id: "attempts" }),
      el("h3", { textContent: "Timeline" }),
      table(["Time", "State", "What happened"], timeline(task, attempts), { id: "timeline" }),
    );
  }
  await refresh();
  return { title: `Task …${id.slice(-8)}`, node, refresh };
}
