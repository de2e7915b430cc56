// The dead letters page: records the store could not read as tasks, shown raw, and redriven back as tasks.

import { api } from "./api.js";
import { action, el, raw, replace, table, time } from "./view.js";

export async function page(_params, { role }) {
  const holder = el("div");
  async function refresh() {
    const { dead_letters: letters } = await api("/v1/dead-letters");
    const rows = letters.map((letter) => [letter.id, letter.queue ?? "—", time(letter.created_at), letter.error,
      raw(letter.body, "body"),
      action("Redrive", role, () => api(`/v1/dead-letters/${encodeURIComponent(letter.id)}/redrive`, { method: "POST" }).then(refresh))]);
    replace(holder, table(["Id", "Queue", "Stored", "Error", "Body", "Actions"], rows, { id: "dead-letter-list" }),
      letters.length === 0 ? el("p", { className: "muted", textContent: "No dead letters." }) : null);
  }
  await refresh();
  return { title: "Dead letters", node: el("section", {}, el("h2", { textContent: "Dead letters" }), holder), refresh };
}
