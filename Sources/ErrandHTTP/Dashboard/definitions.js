// The definitions page: every task definition of the server (periodical, continuous, single-shot) with its schedule,
// its next fire times, its latest launches (the tasks of its module) and whether it is enabled; an admin may start
// one now, with arguments typed as JSON (sent as typed, so large numbers keep their digits), and enable or disable
// its schedule.

import { api, callText, withQuery } from "./api.js";
import { action, badge, el, replace, table, taskLink, time } from "./view.js";

/** How many of a definition's latest launches (its module's tasks) the page shows. */
const launchesShown = 3;

export async function page(_params, { role }) {
  const holder = el("div");
  async function refresh() {
    const { definitions } = await api("/v1/definitions");
    const launches = await Promise.all(definitions.map((definition) =>
      api(withQuery("/v1/tasks", { module: definition.name, limit: launchesShown })).then((answer) => answer.tasks)));
    const rows = definitions.map((definition, index) => {
      const path = `/v1/definitions/${encodeURIComponent(definition.name)}`;
      const argumentsBox = el("textarea", {
        name: "arguments", rows: 1, value: definition.arguments === null ? "" : JSON.stringify(definition.arguments),
        placeholder: "arguments (JSON)", attributes: { "aria-label": `arguments for ${definition.name}` },
      });
      const start = action("Start", role, async () => {
        const text = argumentsBox.value.trim();
        if (text) {
          try {
            JSON.parse(text);
          } catch (error) {
            throw new Error(`the arguments are not JSON: ${error.message}`);
          }
        }
        const answer = JSON.parse(await callText(`${path}/start`, { method: "POST", text: text ? `{"arguments": ${text}}` : "{}" }));
        document.getElementById("notice").replaceChildren(
          `Started ${definition.name}: task `, el("a", { href: `#/task/${answer.id}`, textContent: answer.id }));
      });
      const toggle = definition.enabled
        ? action("Disable", role, () => api(`${path}/disable`, { method: "POST" }).then(refresh))
        : action("Enable", role, () => api(`${path}/enable`, { method: "POST" }).then(refresh));
      const nextRuns = definition.next_runs.length > 0
        ? el("span", { className: "next-runs" }, ...definition.next_runs.map((run) => el("span", {}, time(run))))
        : "—";
      const latest = launches[index].length > 0
        ? el("span", { className: "launches" }, ...launches[index].map((task) => el("span", {}, taskLink(task.id), " ", badge(task.state))))
        : el("span", { className: "muted", textContent: "none yet" });
      const schedule = definition.schedule ? `${definition.schedule} (${definition.time_zone})` : "—";
      return [definition.name, definition.kind, definition.handler, definition.queue, schedule, nextRuns, latest,
        definition.enabled ? "yes" : "no", argumentsBox, el("span", { className: "actions" }, start, toggle)];
    });
    const list = table(["Name", "Kind", "Handler", "Queue", "Schedule", "Next runs", "Latest launches", "Enabled", "Arguments", "Actions"], rows, { id: "definition-list" });
    definitions.forEach((definition, index) => { list.tBodies[0].rows[index].dataset.name = definition.name; });
    replace(holder, list, definitions.length === 0 ? el("p", { className: "muted", textContent: "The server has no definitions (tasks: in its config file)." }) : null);
  }
  await refresh();
  // Refreshing would drop arguments being typed: this page refreshes only after its own actions.
  return { title: "Definitions", node: el("section", {}, el("h2", { textContent: "Definitions" }), holder), refresh: null };
}
