// Follows the API's event stream (`/v1/events`, server-sent events) with fetch, so that the bearer token goes in a
// header, which EventSource cannot send. Resumes after the last event it read when the stream ends (the server ends
// each after its longest wait) or breaks, so no change is missed; reports "live" or "reconnecting" on the way.

/** Parses the `id:` of each complete event in `text`; answers the ids and the unfinished rest. */
export function parseEvents(text) {
  const blocks = text.split("\n\n");
  const rest = blocks.pop();
  const ids = [];
  for (const block of blocks) {
    for (const line of block.split("\n")) {
      if (line.startsWith("id:")) ids.push(line.slice(3).trim());
    }
  }
  return { ids, rest };
}

/**
 * Calls `onChange` after events arrive, at most once every `coalesce` milliseconds however many arrive (a drain of
 * thousands of tasks a second is one refresh), and `onState` with "live" or "reconnecting".
 */
export function follow({ headers, onChange, onState, coalesce = 250, retry = 1000 }) {
  let lastID = null;
  let pending = null;
  const changed = () => {
    if (pending === null) pending = setTimeout(() => { pending = null; onChange(); }, coalesce);
  };
  async function connect() {
    const query = lastID === null ? "" : `?after=${encodeURIComponent(lastID)}`;
    const response = await fetch(`/v1/events${query}`, { headers: { ...headers(), Accept: "text/event-stream" } });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    onState("live");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const { ids, rest } = parseEvents(buffer + value.replaceAll("\r\n", "\n"));
      buffer = rest;
      if (ids.length > 0) {
        lastID = ids[ids.length - 1];
        changed();
      }
    }
  }
  (async () => {
    for (;;) {
      try {
        await connect();
      } catch {
        onState("reconnecting");
        await new Promise((resolve) => setTimeout(resolve, retry));
        continue;
      }
      // The server ended the stream after its longest wait: go on at once, after the last event read.
      changed();
    }
  })();
}
