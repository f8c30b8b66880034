// A cost-over-time line chart as inline SVG (no chart library): one line per cluster, its points also listed in a
// table for screen readers and for exact values.
import { html } from "./vendor/htm-preact.module.js";
import { perHour, when } from "./format.js";

const W = 640, H = 220, PAD = 48;
const COLOURS = ["#1f5fa8", "#b34700", "#2e7d32", "#7b1fa2", "#00695c", "#8d6e00"];

export function CostChart({ series }) {
  const points = series.flatMap((s) => s.points);
  if (!points.length) return html`<p class="empty">No sweep has finished yet: the chart fills in after the first one.</p>`;
  const times = points.map((p) => p.t), costs = points.map((p) => p.cost);
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  const top = Math.max(...costs) * 1.1 || 1;
  const x = (t) => PAD + (t1 === t0 ? (W - 2 * PAD) / 2 : ((t - t0) / (t1 - t0)) * (W - 2 * PAD));
  const y = (c) => H - PAD + 10 - (c / top) * (H - PAD - 10);
  const label = `Cost per hour at each sweep, ${series.length} cluster(s), from ${when(new Date(t0).toISOString())} to ${when(new Date(t1).toISOString())}`;
  return html`<figure class="chart">
    <svg viewBox="0 0 ${W} ${H}" role="img" aria-label=${label}>
      <line x1=${PAD} y1=${H - PAD + 10} x2=${W - PAD} y2=${H - PAD + 10} class="axis" />
      <line x1=${PAD} y1="10" x2=${PAD} y2=${H - PAD + 10} class="axis" />
      <text x="4" y="16" class="tick">${perHour(top)}</text>
      <text x="4" y=${H - PAD + 10} class="tick">$0</text>
      ${series.map((s, i) => html`<g>
        <polyline fill="none" stroke=${COLOURS[i % COLOURS.length]} stroke-width="2"
          points=${s.points.map((p) => `${x(p.t)},${y(p.cost)}`).join(" ")} />
        ${s.points.map((p) => html`<circle cx=${x(p.t)} cy=${y(p.cost)} r="3.5" fill=${COLOURS[i % COLOURS.length]} />`)}
      </g>`)}
    </svg>
    <figcaption>
      ${series.map((s, i) => html`<span class="legend"><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect width="10" height="10" fill=${COLOURS[i % COLOURS.length]} /></svg>${s.name}</span>`)}
    </figcaption>
    <details><summary>The chart's points</summary>
      <table><thead><tr><th scope="col">Cluster</th><th scope="col">Sweep finished</th><th scope="col">Cost $/h</th></tr></thead>
      <tbody>${series.flatMap((s) => s.points.map((p) => html`<tr><td>${s.name}</td><td>${when(new Date(p.t).toISOString())}</td><td class="num">${perHour(p.cost)}</td></tr>`))}</tbody></table>
    </details>
  </figure>`;
}
