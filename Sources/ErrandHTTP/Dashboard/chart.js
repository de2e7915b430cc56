// The overview's charts, drawn as SVG by hand: the tasks finished per minute over the last hour as bars stacked by
// final state, and the failure rate (failed and dead among them) per minute as a line. Each bar and point carries
// a <title> with its minute and figures, which the browser shows on hover.

import { el } from "./view.js";

const namespace = "http://www.w3.org/2000/svg";
const finalStates = ["completed", "failed", "cancelled", "dead"];
const [width, height, left, bottom] = [600, 120, 34, 16];

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(namespace, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

function hint(text) {
  return svg("title", {}, text);
}

/** `14:05` for a minute's ISO time, in the viewer's zone or UTC as `utc` says. */
function clock(iso, utc) {
  return new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: utc ? "UTC" : undefined });
}

/** The frame both charts share: the plot area, a top value label and the first and last minutes. */
function frame(id, label, top, series, utc) {
  const plot = svg("g", { class: "plot" });
  const chart = svg("svg", { id, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart" },
    svg("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "axis" }),
    svg("text", { x: left - 4, y: 10, "text-anchor": "end", class: "tick" }, top),
    svg("text", { x: left - 4, y: height - bottom, "text-anchor": "end", class: "tick" }, "0"),
    svg("text", { x: left, y: height - 2, class: "tick" }, series.length ? clock(series[0].minute, utc) : ""),
    svg("text", { x: width, y: height - 2, "text-anchor": "end", class: "tick" }, series.length ? clock(series.at(-1).minute, utc) : ""),
    plot);
  return { chart, plot };
}

/** The two charts of `series` (the API's `/v1/statistics/finished` minutes, oldest first). */
export function finishedCharts(series, { utc = false } = {}) {
  const step = (width - left) / Math.max(series.length, 1);
  const plotHeight = height - bottom - 12;
  const peak = Math.max(1, ...series.map((minute) => minute.total));
  const bars = frame("throughput", "Tasks finished per minute, by final state", String(peak), series, utc);
  series.forEach((minute, index) => {
    let y = height - bottom;
    const column = svg("g", { "data-minute": minute.minute, "data-total": minute.total },
      hint(`${clock(minute.minute, utc)}: ${minute.total} finished (${finalStates.map((state) => `${minute.counts[state]} ${state}`).join(", ")})`));
    for (const state of finalStates) {
      const size = (minute.counts[state] / peak) * plotHeight;
      if (size <= 0) continue;
      y -= size;
      column.append(svg("rect", { x: left + index * step + 0.5, y, width: Math.max(step - 1, 1), height: size, class: `bar-${state}` }));
    }
    bars.plot.append(column);
  });

  const rates = frame("failure-rate", "Failure rate per minute", "100%", series, utc);
  const points = series.map((minute, index) => {
    const rate = minute.total ? (minute.counts.failed + minute.counts.dead) / minute.total : null;
    return { minute, rate, x: left + (index + 0.5) * step, y: height - bottom - (rate ?? 0) * plotHeight };
  });
  const drawn = points.filter((point) => point.rate !== null);
  if (drawn.length) {
    rates.plot.append(svg("polyline", { points: drawn.map(({ x, y }) => `${x},${y}`).join(" "), class: "rate" }));
  }
  for (const point of drawn) {
    rates.plot.append(svg("circle", { cx: point.x, cy: point.y, r: 2.5, class: "rate", "data-rate": point.rate },
      hint(`${clock(point.minute.minute, utc)}: ${Math.round(point.rate * 100)}% failed of ${point.minute.total}`)));
  }
  const total = series.reduce((sum, minute) => sum + minute.total, 0);
  const failed = series.reduce((sum, minute) => sum + minute.counts.failed + minute.counts.dead, 0);
  const legend = el("p", { className: "legend" }, ...finalStates.flatMap((state) =>
    [el("span", { className: `swatch bar-${state}` }), ` ${state}  `]));
  return el("div", { className: "charts" },
    el("figure", {}, bars.chart, el("figcaption", { id: "throughput-caption",
      textContent: `${total} tasks finished in the last ${series.length} minutes` }), legend),
    el("figure", {}, rates.chart, el("figcaption", { id: "failure-caption",
      textContent: total ? `${Math.round((failed / total) * 1000) / 10}% failed or dead` : "nothing finished" })));
}
