// The tasks page: filters (state, queue, handler, module, tag, creation time range, text in the arguments), a count
// capped at 10,000, and keyset pages of the task list, newest or oldest first. The URL holds the filter (by the
// API's names, times in ISO 8601 UTC), the order, the page's cursor and the cursors of the pages before it, so that
// a copied link shows the same rows and "previous" works after a reload; a change in the store refreshes the page
// in place.

import { api, withQuery } from "./api.js";
import { bulkActions } from "./bulk.js";
import { badge, el, replace, table, taskLink, time, zone } from "./view.js";

export const states = ["scheduled", "pending", "running", "completed", "failed", "cancelled", "dead"];
/** The API's filter names (its query parameters and a bulk action's `filter` members). */
/** A task's state badge, flagged `unknown task` when it waits and no live node or worker runs its handler on its queue. */
function stateCell(task) {
  if (!task.unknown_task) return badge(task.state);
  const flag = el("span", {
    className: "badge unknown-task", textContent: "unknown task",
    title: `No live node or worker runs ${task.handler} on queue ${task.queue}: nothing will run this task.`,
  });
  return el("span", {}, badge(task.state), " ", flag);
}

export const filterNames = ["state", "queue", "handler", "module", "tag", "created_after", "created_before", "text", "idempotency_key"];
const textFilters = ["queue", "handler", "module", "tag", "text", "idempotency_key"];
const pageSize = 50;
/** Counts stop here ("10,000+"): a table of millions is never counted in full. */
const countCap = 10000;
/** The first page's place in the trail of cursors. */
const first = "-";

/** The link to the task list with these filters (and a cursor and the trail before it). */
export function tasksLink(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value) query.set(name, value);
  const text = query.toString();
  return text ? `#/tasks?${text}` : "#/tasks";
}

/** An ISO time as a `datetime-local` input's value, read on the chosen zone's clock (UTC or the viewer's). */
function toInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const local = zone() === "UTC" ? date : new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 19);
}

/** A `datetime-local` input's value as ISO UTC text, read on the chosen zone's clock. */
function fromInput(value) {
  if (!value) return "";
  const date = new Date(zone() === "UTC" ? `${value}Z` : value);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

export async function page(params, { role }) {
  const filters = Object.fromEntries(filterNames.map((name) => [name, params.get(name) ?? ""]));
  const order = params.get("order") === "oldest" ? "oldest" : "";
  const cursor = params.get("cursor") ?? "";
  const trail = (params.get("trail") ?? "").split(",").filter(Boolean);

  const stateSelect = el("select", { name: "state" }, el("option", { value: "", textContent: "any state" }),
    ...states.map((state) => el("option", { value: state, textContent: state, selected: filters.state === state })));
  const inputs = textFilters.map((name) => el("input", {
    name, value: filters[name], placeholder: name === "text" ? "text in arguments" : name,
    attributes: { "aria-label": name === "text" ? "text in arguments" : name },
  }));
  const times = [["created_after", "Created from"], ["created_before", "to"]].map(([name, label]) =>
    el("label", {}, `${label} `, el("input", { name, type: "datetime-local", step: "1", value: toInput(filters[name]) })));
  const orderSelect = el("select", { name: "order", attributes: { "aria-label": "order" } },
    el("option", { value: "", textContent: "newest first" }),
    el("option", { value: "oldest", textContent: "oldest first", selected: order === "oldest" }));
  const form = el("form", { className: "filters" }, el("label", {}, "State ", stateSelect), ...inputs, ...times, orderSelect,
    el("button", { type: "submit", textContent: "Filter" }));
  form.onsubmit = (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const read = (name) => String(data.get(name) ?? "").trim();
    // A time input shows whole seconds: a time left as the link gave it keeps its milliseconds.
    const timeValue = (name) => (read(name) === toInput(filters[name]) ? filters[name] : fromInput(read(name)));
    const chosen = Object.fromEntries(filterNames.map((name) => [name, name.startsWith("created_") ? timeValue(name) : read(name)]));
    location.hash = tasksLink({ ...chosen, order: read("order") });
  };

  const results = el("div", { id: "task-list" });
  const bulk = bulkActions(filters, role);
  async function refresh() {
    await bulk.update();
    const [answer, counted] = await Promise.all([
      api(withQuery("/v1/tasks", { ...filters, order, limit: pageSize, cursor })),
      api(withQuery("/v1/tasks/count", { ...filters, up_to: countCap })),
    ]);
    const rows = answer.tasks.map((task) => [
      taskLink(task.id), task.queue, task.handler, stateCell(task), String(task.attempt), time(task.created_at),
      time(task.finished_at),
    ]);
    const list = table(["Task", "Queue", "Handler", "State", "#Attempt", "Created", "Finished"], rows, { id: "tasks" });
    answer.tasks.forEach((task, index) => {
      list.tBodies[0].rows[index].dataset.id = task.id;
      list.tBodies[0].rows[index].dataset.state = task.state;
    });
    const previous = trail.length > 0
      ? el("a", { id: "previous", className: "button", textContent: "← Previous", href: tasksLink({
        ...filters, order, cursor: trail[trail.length - 1] === first ? "" : trail[trail.length - 1], trail: trail.slice(0, -1).join(","),
      }) })
      : null;
    const next = answer.next_cursor
      ? el("a", { id: "next", className: "button", textContent: "Next →", href: tasksLink({
        ...filters, order, cursor: answer.next_cursor, trail: [...trail, cursor || first].join(","),
      }) })
      : null;
    const empty = answer.tasks.length === 0 ? el("p", { className: "muted", textContent: "No task matches." }) : null;
    const count = el("p", { id: "task-count", className: "muted", dataset: { more: String(counted.more) },
      textContent: `${counted.count.toLocaleString("en-US")}${counted.more ? "+" : ""} ${counted.count === 1 && !counted.more ? "task" : "tasks"}` });
    replace(results, count, list, empty, el("nav", { className: "pages" }, previous, next));
  }
  await refresh();
  return { title: "Tasks", node: el("section", {}, el("h2", { textContent: "Tasks" }), form, bulk.node, results), refresh };
}
