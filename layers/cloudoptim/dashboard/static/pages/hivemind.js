// Hive mind: Spot pools with interruptions in the last hour across all customers (GET /v1/hive-mind, every page),
// by region and availability zone ID, with level, expiry, evidence as counts and what it does to your choices.
// A deployment without the route (404, or 503 when its table is not wired) says so instead of failing.
import { html } from "../vendor/htm-preact.module.js";
import { ApiError, all } from "../api.js";
import { label, when } from "../format.js";
import { Failure, Loading, useLoad } from "../ui.js";

async function pools() {
  try {
    return await all("v1/hive-mind");
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 503)) return null;
    throw error;
  }
}

function Evidence({ pool }) {
  const e = pool.evidence || {};
  return html`<details><summary>${e.customers} customer(s), ${e.interruptions} interruption(s)</summary>
    <dl class="evidence">
      <dt>live flags</dt><dd>${e.flags}</dd>
      <dt>window</dt><dd>${e.window_minutes} minutes</dd>
      <dt>risk added for everyone</dt><dd>${pool.risk_bump}</dd>
      <dt>risk added to your choices</dt><dd>${pool.your_risk_bump}${pool.excluded_for_you ? " (excluded for you)" : ""}</dd>
      <dt>why</dt><dd>${pool.reason}</dd>
    </dl>
  </details>`;
}

export function HiveMind() {
  const [found, error] = useLoad(pools);
  if (error) return html`<${Failure} error=${error} />`;
  if (found === undefined) return html`<${Loading} what="the hive mind" />`;
  if (found === null) return html`<p class="empty" data-state="unavailable">The hive mind is not available on this deployment (GET /v1/hive-mind is not served). Flagged pools will appear here once it is.</p>`;
  if (!found.length) return html`<p class="empty" data-state="empty">No pool had an interruption in the last hour.</p>`;
  const regions = [...new Set(found.map((p) => p.region))].sort();
  return html`${regions.map((region) => html`<section aria-labelledby=${"region-" + region}>
    <h2 id=${"region-" + region}>${region}</h2>
    <table class="data">
      <thead><tr><th scope="col">Zone ID</th><th scope="col">Pool</th><th scope="col">Instance type</th>
        <th scope="col">Level</th><th scope="col">Expires</th><th scope="col">Yours</th><th scope="col">Evidence</th></tr></thead>
      <tbody>${found.filter((p) => p.region === region)
        .sort((a, b) => a.az_id.localeCompare(b.az_id) || a.pool.localeCompare(b.pool))
        .map((p) => html`<tr data-pool=${p.pool}>
          <td>${p.az_id}</td><td>${p.pool}</td><td>${p.instance_type}</td>
          <td><span class=${"level " + p.level}>${label(p.level)}</span></td><td>${when(p.expires_at)}</td>
          <td>${p.yours ? "yes" : "no"}</td><td><${Evidence} pool=${p} /></td></tr>`)}</tbody>
    </table></section>`)}`;
}
