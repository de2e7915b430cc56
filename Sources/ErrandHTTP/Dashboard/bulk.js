// Bulk actions on the tasks page: retry, cancel or delete every task matching the page's filter, not only the rows
// shown.
// The dialog states the exact count (counted up to a million) before anything happens; the server then runs the
// action as an `errand.bulk` task (POST /v1/tasks/bulk), whose progress the dialog shows as the event stream
// reports changes.

import { api, withQuery } from "./api.js";
import { action, el, replace } from "./view.js";

const exactUpTo = 1000000;
/** Each action's verb, and what its result calls the tasks it changed. */
const labels = { retry: ["Retry", "retried"], cancel: ["Cancel", "cancelled"], delete: ["Delete", "deleted"] };

/** What a filter means, in words: `state failed, queue mail`. */
function describe(filter) {
  return Object.entries(filter).filter(([, value]) => value).map(([name, value]) => `${name} ${value}`).join(", ");
}

/**
 * The bulk action buttons for `filter` (an object of the tasks page's filters), and `update`, which the page calls
 * when it refreshes so that a running action's progress shows.
 */
export function bulkActions(filter, role) {
  const dialog = el("dialog", { id: "bulk-dialog" });
  let running = null;
  const hasFilter = Object.values(filter).some(Boolean);
  const noFilter = "Choose a filter first: a bulk action applies to every task that matches it.";

  async function update() {
    if (!running) return;
    const task = await api(`/v1/tasks/${running.id}`);
    const done = task.progress?.completed ?? 0;
    const total = task.progress?.total || running.count || 1;
    const percent = task.state === "completed" ? 100 : Math.min(100, Math.floor((done / total) * 100));
    const bar = dialog.querySelector("progress");
    bar.value = percent;
    dialog.querySelector("#bulk-percent").textContent = `${percent} %`;
    if (task.state === "completed" || task.state === "failed" || task.state === "cancelled") {
      const result = task.result;
      dialog.querySelector("#bulk-result").textContent = task.state === "completed"
        ? `Done: ${result.changed.toLocaleString("en-US")} ${labels[running.kind][1]}, ${result.skipped.toLocaleString("en-US")} skipped.`
        : `The bulk task ${task.state}: ${task.last_error ?? task.message ?? ""}`;
      dialog.dataset.state = task.state;
      running = null;
    }
  }

  async function ask(kind) {
    const { count } = await api(withQuery("/v1/tasks/count", { ...filter, up_to: exactUpTo }));
    const confirmButton = el("button", { type: "button", id: "bulk-confirm", className: kind === "retry" ? "" : "danger", textContent: `${labels[kind][0]} ${count.toLocaleString("en-US")} tasks` });
    const close = el("button", { type: "button", id: "bulk-close", textContent: "Close" });
    close.onclick = () => dialog.close();
    delete dialog.dataset.state;
    replace(dialog,
      el("h3", { textContent: `${labels[kind][0]} every task matching ${describe(filter)}` }),
      kind === "delete"
        ? el("p", { className: "muted", textContent: "Finished root tasks go with their trees; unfinished tasks and children are skipped." })
        : null,
      el("p", { id: "bulk-count", dataset: { count: String(count) }, textContent: `${count.toLocaleString("en-US")} tasks match now.` }),
      el("p", {}, el("progress", { max: 100, value: 0 }), " ", el("span", { id: "bulk-percent", textContent: "" })),
      el("p", { id: "bulk-result", attributes: { role: "status" } }),
      el("div", { className: "actions" }, confirmButton, close));
    confirmButton.onclick = async () => {
      confirmButton.disabled = true;
      const body = { action: kind, filter: Object.fromEntries(Object.entries(filter).filter(([, value]) => value)) };
      if (body.filter.state) body.filter.state = [body.filter.state];
      const task = await api("/v1/tasks/bulk", { method: "POST", body });
      running = { id: task.id, kind, count };
      dialog.dataset.task = task.id;
      dialog.querySelector("#bulk-percent").textContent = "0 %";
      await update();
    };
    dialog.showModal();
  }

  const buttons = ["retry", "cancel", "delete"].map((kind) => {
    const button = action(`${labels[kind][0]} all matching…`, role, () => ask(kind), { danger: kind !== "retry" });
    if (!hasFilter && !button.disabled) {
      button.disabled = true;
      button.title = noFilter;
      button.dataset.reason = noFilter;
    }
    button.id = `bulk-${kind}`;
    return button;
  });
  return { node: el("div", { className: "actions bulk" }, ...buttons, dialog), update };
}
