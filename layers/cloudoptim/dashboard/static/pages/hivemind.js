// Hive mind: pools flagged across tenants (GET /v1/hive-mind), by region and availability zone, with level,
// expiry and evidence. A deployment without the route (404) says so instead of failing.
import { html } from "../vendor/htm-preact.module.js";
import { ApiError, get } from "../api.js";
import { label, when } from "../format.js";
import { Failure, Loading, useLoad } from "../ui.js";

async function pools() {
  try {
    return (await get("v1/hive-mind")).pools;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

function Evidence({ evidence }) {
  const entries = Object.entries(evidence || {});
  if (!entries.length) return html`<span class="meta">none given</span>`;
  return html`<details><summary>${entries.length} item(s)</summary>
    <dl class="evidence">${entries.map(([k, v]) => html`<dt>${label(k)}</dt><dd>${typeof v === "object" ? JSON.stringify(v) : String(v)}</dd>`)}</dl>
  </details>`;
}

export function HiveMind() {
  const [found, error] = useLoad(pools);
  if (error) return html`<${Failure} error=${error} />`;
  if (found === undefined) return html`<${Loading} what="the hive mind" />`;
  if (found === null) return html`<p class="empty" data-state="unavailable">The hive mind is not available on this deployment yet (GET /v1/hive-mind answered 404). Flagged pools will appear here once it is.</p>`;
  if (!found.length) return html`<p class="empty" data-state="empty">No pool is flagged right now.</p>`;
  const regions = [...new Set(found.map((p) => p.region))].sort();
  return html`${regions.map((region) => html`<section aria-labelledby=${"region-" + region}>
    <h2 id=${"region-" + region}>${region}</h2>
    <table class="data">
      <thead><tr><th scope="col">Availability zone</th><th scope="col">Pool</th><th scope="col">Instance type</th>
        <th scope="col">Level</th><th scope="col">Expires</th><th scope="col">Evidence</th></tr></thead>
      <tbody>${found.filter((p) => p.region === region)
        .sort((a, b) => a.availability_zone.localeCompare(b.availability_zone) || a.pool.localeCompare(b.pool))
        .map((p) => html`<tr data-pool=${p.pool}>
          <td>${p.availability_zone}</td><td>${p.pool}</td><td>${p.instance_type}</td>
          <td><span class=${"level " + p.level}>${label(p.level)}</span></td><td>${when(p.expires_at)}</td>
          <td><${Evidence} evidence=${p.evidence} /></td></tr>`)}</tbody>
    </table></section>`)}`;
}
