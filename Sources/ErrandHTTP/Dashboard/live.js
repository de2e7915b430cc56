// Follows the API's event stream (`/v1/events`, server-sent events) with fetch, so that the bearer token goes in a
// header, which EventSource cannot send. One stream per browser: the tabs of this origin elect a leader with the Web
// Locks API; the leader reads the stream and passes each summary of changes to the other tabs over a BroadcastChannel.
// When the leader's tab closes, its lock passes to another tab, which resumes after the last event any tab saw. A
// stream resumes after its last event when it ends (the server ends each after its longest wait) or breaks, so no
// change is missed; "live" or "reconnecting" is reported on the way.

/**
 * Parses the complete events in `text`: each one's id and JSON data (null for the stream's opening block, which
 * carries only its starting point); answers them and the unfinished rest.
 */
export function parseEvents(text) {
  const blocks = text.split("\n\n");
  const rest = blocks.pop();
  const events = [];
  for (const block of blocks) {
    let id = null;
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("id:")) id = line.slice(3).trim();
      if (line.startsWith("data:")) data += line.slice(5).trim();
    }
    if (id !== null) events.push({ id, data: data ? JSON.parse(data) : null });
  }
  return { events, rest };
}

/**
 * Reads the stream from after `lastID` (null: from now on), forever, as summaries: the server sends one for each
 * window of `coalesce` milliseconds that had changes (`/v1/events?coalesce=`), so a drain of thousands of tasks a
 * second is a few refreshes a second. Calls `onChanges(summaries, lastID)` as they arrive, and `onState` with "live"
 * or "reconnecting".
 */
export function stream({ headers, onChanges, onState, lastID = null, coalesce = 250, retry = 1000 }) {
  const arrived = (summaries) => onChanges(summaries, lastID);
  async function connect() {
    const query = new URLSearchParams({ coalesce: String(coalesce) });
    if (lastID !== null) query.set("after", lastID);
    const response = await fetch(`/v1/events?${query}`, { headers: { ...headers(), Accept: "text/event-stream" } });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    onState("live");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const { events, rest } = parseEvents(buffer + value.replaceAll("\r\n", "\n"));
      buffer = rest;
      if (events.length > 0) lastID = events[events.length - 1].id;
      const summaries = events.filter((event) => event.data !== null).map((event) => event.data);
      if (summaries.length > 0) arrived(summaries);
    }
  }
  (async () => {
    for (;;) {
      try {
        await connect();
      } catch {
        onState("reconnecting");
        await new Promise((resolve) => setTimeout(resolve, retry));
        // Whatever happened while the stream was down is read on reconnecting; refresh once for it too.
        arrived([]);
        continue;
      }
      // The server ended the stream after its longest wait: go on at once, after the last event read.
    }
  })();
}

const channelName = "errand.events";

/**
 * Calls `onChanges(summaries)` with each summary of state changes (see `stream`) and `onState` with the stream's state, over
 * the one stream this browser reads (see the top of this file). `document.documentElement.dataset.events` says
 * whether this tab reads the stream ("leader"), listens to the tab that does ("follower"), or reads its own
 * ("alone", where Web Locks or BroadcastChannel are missing, as on a plain-HTTP origin other than loopback).
 */
export function follow({ headers, onChanges, onState }) {
  const root = document.documentElement;
  if (!("BroadcastChannel" in window) || !navigator.locks) {
    root.dataset.events = "alone";
    stream({ headers, onChanges, onState });
    return;
  }
  const channel = new BroadcastChannel(channelName);
  let leading = false;
  let state = "connecting";
  let lastID = null;
  root.dataset.events = "follower";
  channel.onmessage = ({ data }) => {
    if (data.type === "hello") {
      if (leading) channel.postMessage({ type: "state", state });
      return;
    }
    if (leading) return;
    if (data.lastID) lastID = data.lastID;
    if (data.type === "changes") onChanges(data.changes);
    if (data.type === "state") onState(data.state);
  };
  channel.postMessage({ type: "hello" });
  navigator.locks.request(channelName, () => {
    leading = true;
    root.dataset.events = "leader";
    stream({
      headers,
      lastID,
      onChanges: (changes, last) => {
        channel.postMessage({ type: "changes", changes, lastID: last });
        onChanges(changes);
      },
      onState: (next) => {
        state = next;
        channel.postMessage({ type: "state", state: next, lastID });
        onState(next);
      },
    });
    // Held until this tab closes.
    return new Promise(() => {});
  });
}
