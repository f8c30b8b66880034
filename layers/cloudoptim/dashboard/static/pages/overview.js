// Overview: the savings ledger exactly as GET /v1/savings returns it (each figure with its formula on hover) and
// the cost at each sweep over time.
import { html } from "../vendor/htm-preact.module.js";
import { all, get } from "../api.js";
import { CostChart } from "../chart.js";
import { HOURS_PER_MONTH, label, perHour, perMonth } from "../format.js";
import { Failure, Loading, useLoad } from "../ui.js";

const WHAT = {
  current_cost: "current = the hourly price of every node of each cluster's latest discovery (Spot at the pool's price, On-Demand at list price)",
  projected_savings: "projected = the sum of each open, approved or running recommendation's exclusive saving, each dollar counted once",
  realised_savings: "realised = the price of the nodes removed less the price of the nodes launched, over executions that succeeded",
};

function Figure({ name, value, hourly, monthly, what }) {
  const formula = monthly === undefined
    ? `${what}. Value from GET /v1/savings: ${name} = ${value}`
    : `$/month = $/h × ${HOURS_PER_MONTH} = ${hourly} × ${HOURS_PER_MONTH} = ${monthly}. ${what}.`;
  return html`<span class="figure" data-figure=${name} title=${formula} tabindex="0" aria-describedby="formula">
    ${name.endsWith("per_hour") ? perHour(value) : perMonth(value)}</span>`;
}

function Card({ savings, field, heading }) {
  const h = savings[`${field}_per_hour`], m = savings[`${field}_per_month`];
  return html`<section class="card" aria-labelledby=${"card-" + field}>
    <h2 id=${"card-" + field}>${heading}</h2>
    <p class="big"><${Figure} name=${field + "_per_month"} value=${m} hourly=${h} monthly=${m} what=${WHAT[field]} /> <span class="unit">/month</span></p>
    <p><${Figure} name=${field + "_per_hour"} value=${h} what=${WHAT[field]} /> <span class="unit">/hour</span></p>
  </section>`;
}

async function history() {
  const recommendations = await all("v1/recommendations", { limit: 1000 });
  const sweepIds = [...new Set(recommendations.map((r) => r.sweep_id))].sort().slice(-40);
  const sweeps = await Promise.all(sweepIds.map((id) => get(`v1/sweeps/${encodeURIComponent(id)}`)));
  const byCluster = new Map();
  for (const sweep of sweeps) {
    if (sweep.current_cost_per_hour === null || !(sweep.finished_at || sweep.started_at)) continue;
    const t = Date.parse(sweep.finished_at || sweep.started_at);
    if (!byCluster.has(sweep.cluster)) byCluster.set(sweep.cluster, []);
    byCluster.get(sweep.cluster).push({ t, cost: sweep.current_cost_per_hour });
  }
  return [...byCluster.entries()].map(([name, points]) => ({ name, points: points.sort((a, b) => a.t - b.t) }));
}

export function Overview() {
  const [savings, error] = useLoad(() => get("v1/savings"));
  const [series, chartError] = useLoad(history);
  if (error) return html`<${Failure} error=${error} />`;
  if (!savings) return html`<${Loading} what="savings" />`;
  const kinds = Object.entries(savings.by_capability).sort((a, b) => b[1].projected_savings_per_hour - a[1].projected_savings_per_hour);
  return html`
    <p id="formula" class="formula">${savings.formula} Hover or focus a figure for its formula.</p>
    <div class="cards">
      <${Card} savings=${savings} field="current_cost" heading="Current cost" />
      <${Card} savings=${savings} field="projected_savings" heading="Projected savings" />
      <${Card} savings=${savings} field="realised_savings" heading="Realised savings" />
    </div>
    <h2>By capability</h2>
    ${kinds.length === 0 ? html`<p class="empty">No recommendation yet: savings appear after a cluster's first sweep.</p>` : html`
    <table class="data">
      <thead><tr><th scope="col">Capability</th><th scope="col">Projected $/h</th><th scope="col">Projected $/month</th>
        <th scope="col">Realised $/h</th><th scope="col">Realised $/month</th><th scope="col">Recommendations</th></tr></thead>
      <tbody>${kinds.map(([kind, line]) => html`<tr>
        <th scope="row">${label(kind)}</th>
        ${["projected_savings", "realised_savings"].flatMap((field) => [
          html`<td class="num"><${Figure} name=${`by_capability.${kind}.${field}_per_hour`} value=${line[field + "_per_hour"]} what=${WHAT[field] + " (" + label(kind) + " only)"} /></td>`,
          html`<td class="num"><${Figure} name=${`by_capability.${kind}.${field}_per_month`} value=${line[field + "_per_month"]}
            hourly=${line[field + "_per_hour"]} monthly=${line[field + "_per_month"]} what=${WHAT[field] + " (" + label(kind) + " only)"} /></td>`,
        ])}
        <td class="num">${line.recommendations}</td>
      </tr>`)}</tbody>
    </table>`}
    <h2>Cost over time</h2>
    ${chartError ? html`<${Failure} error=${chartError} />` : series ? html`<${CostChart} series=${series} />` : html`<${Loading} what="the cost history" />`}`;
}
