// Building blocks of the pages: elements, state badges, times in the viewer's chosen zone (ISO 8601 on copy),
// tables, and action buttons that a read token shows disabled with the reason.

const zoneKey = "errand.zone";
const themeKey = "errand.theme";

/** "local" (the browser's zone) or "UTC"; kept in localStorage, so it persists across reloads and tabs. */
export function zone() {
  return localStorage.getItem(zoneKey) === "UTC" ? "UTC" : "local";
}

export function setZone(value) {
  localStorage.setItem(zoneKey, value);
}

/** "auto" (the system's), "light" or "dark"; kept in localStorage. */
export function theme() {
  const value = localStorage.getItem(themeKey);
  return value === "light" || value === "dark" ? value : "auto";
}

export function setTheme(value) {
  localStorage.setItem(themeKey, value);
  applyTheme();
}

export function applyTheme() {
  const value = theme();
  if (value === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = value;
}

/**
 * An element: `props` sets properties (`className`, `textContent`, `href`, `disabled`, `onclick`, …), except
 * `dataset` and `attributes`, which are objects of their own; children are nodes or strings (null skipped).
 */
export function el(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  const { dataset, attributes, ...rest } = props;
  Object.assign(element, rest);
  Object.assign(element.dataset, dataset ?? {});
  for (const [name, value] of Object.entries(attributes ?? {})) element.setAttribute(name, value);
  for (const child of children) if (child !== null && child !== undefined) element.append(child);
  return element;
}

/** Replaces the children of `node` with `children`, skipping null ones. */
export function replace(node, ...children) {
  node.replaceChildren(...children.filter((child) => child !== null && child !== undefined));
}

/** A task's (or worker's, or queue's) state as a coloured badge. */
export function badge(state) {
  return el("span", { className: `badge state-${state}`, textContent: state });
}

/** An ISO 8601 time shown in the chosen zone as `2026-12-07 01:12:46 UTC`; its `datetime` (the ISO text) is what a copy gives. */
export function time(iso) {
  if (!iso) return el("span", { className: "muted", textContent: "—" });
  const format = new Intl.DateTimeFormat("en-US", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    hourCycle: "h23", timeZone: zone() === "UTC" ? "UTC" : undefined, timeZoneName: "short",
  });
  const part = Object.fromEntries(format.formatToParts(new Date(iso)).map(({ type, value }) => [type, value]));
  const text = `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second} ${part.timeZoneName}`;
  return el("time", { dateTime: iso, title: iso, textContent: text });
}

/** How long ago `iso` was, as "12 s", "3 min", "2 h". */
export function age(iso, now = Date.now()) {
  if (!iso) return "—";
  const seconds = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

// A copied selection holds the ISO text of the times in it, not the zone-dependent rendering.
document.addEventListener("copy", (event) => {
  const selection = document.getSelection();
  if (!selection || selection.rangeCount === 0) return;
  const range = selection.getRangeAt(0);
  const fragment = range.cloneContents();
  const times = fragment.querySelectorAll("time");
  const common = range.commonAncestorContainer;
  const around = (common.nodeType === Node.ELEMENT_NODE ? common : common.parentElement)?.closest("time");
  if (times.length === 0 && !around) return;
  for (const element of times) element.textContent = element.dateTime;
  const holder = el("div", {}, fragment);
  event.clipboardData.setData("text/plain", around && times.length === 0 ? around.dateTime : holder.textContent);
  event.preventDefault();
});

/** A table: `headings` are strings (a leading "#" marks a count column), `rows` arrays of nodes or strings. */
export function table(headings, rows, props = {}) {
  const counts = headings.map((heading) => heading.startsWith("#"));
  const head = el("tr", {}, ...headings.map((heading, index) =>
    el("th", { ...(counts[index] ? { className: "count" } : {}), textContent: counts[index] ? heading.slice(1) : heading, scope: "col" })));
  const body = rows.map((row) => el("tr", {}, ...row.map((value, index) =>
    el("td", counts[index] ? { className: "count" } : {}, value instanceof Node ? value : String(value ?? "")))));
  return el("table", props, el("thead", {}, head), el("tbody", {}, ...body));
}

/**
 * A task id as a link to its page, shortened to its last 8 characters (the full id on hover): ids are UUIDv7, whose
 * first characters are a timestamp that tasks created together share.
 */
export function taskLink(id) {
  return el("a", { href: `#/task/${id}`, textContent: `…${id.slice(-8)}`, title: id, className: "mono" });
}

/** Why a read token cannot act. */
export const readOnlyReason = "A read token cannot change anything: sign in with an admin token.";

/**
 * A button that acts on the API: disabled with `readOnlyReason` (as its title and for assistive technology) when the
 * viewer's role is not admin; while it runs it is disabled, and a failure is reported in `#notice`.
 */
export function action(label, role, run, { danger = false, confirmText = null } = {}) {
  const button = el("button", { type: "button", textContent: label, ...(danger ? { className: "danger" } : {}) });
  if (role !== "admin") {
    button.disabled = true;
    button.title = readOnlyReason;
    button.dataset.reason = readOnlyReason;
    button.setAttribute("aria-description", readOnlyReason);
    return button;
  }
  button.onclick = async () => {
    if (confirmText && !confirm(confirmText)) return;
    button.disabled = true;
    notice("");
    try {
      await run();
    } catch (error) {
      notice(`${label} failed: ${error.message}`, true);
    } finally {
      button.disabled = false;
    }
  };
  return button;
}

/** Shows (or clears) the page's one-line notice. */
export function notice(text, isError = false) {
  const element = document.getElementById("notice");
  if (!element) return;
  element.textContent = text;
  element.className = isError ? "error" : "muted";
}

/** A JSON text, shown verbatim in a preformatted block (`null` when absent). */
export function raw(text, label) {
  return el("pre", { className: "raw", textContent: text ?? "null", attributes: { "aria-label": label } });
}
