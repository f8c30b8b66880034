// Clusters: connection, node groups, cost, the last sweep's discovery; onboarding of an account (template, verify).
import { html, useState } from "../vendor/htm-preact.module.js";
import { all, call, get, save } from "../api.js";
import { label, perHour, perMonth, when } from "../format.js";
import { Failure, Loading, Notice, useLoad } from "../ui.js";

async function clusterRows() {
  const [clusters, recommendations] = await Promise.all([all("v1/clusters", { limit: 500 }), all("v1/recommendations", { limit: 1000 })]);
  return Promise.all(clusters.map(async (cluster) => {
    const savings = await get(`v1/savings?cluster=${encodeURIComponent(cluster.id)}`);
    const sweeps = recommendations.filter((r) => r.cluster === cluster.id).map((r) => r.sweep_id).sort();
    const sweep = sweeps.length ? await get(`v1/sweeps/${encodeURIComponent(sweeps[sweeps.length - 1])}`) : null;
    return { cluster, savings, sweep };
  }));
}

function Checks({ checks }) {
  const entries = Object.entries(checks || {});
  if (!entries.length) return html`<span class="meta">not checked yet</span>`;
  return html`<ul class="checks">${entries.map(([name, ok]) => html`<li class=${ok ? "ok" : "bad"}>${ok ? "✓" : "✗"} ${label(name)}</li>`)}</ul>`;
}

function ClusterTable({ rows }) {
  if (!rows.length) return html`<p class="empty">No cluster registered yet: follow the onboarding steps below.</p>`;
  return html`<table class="data">
    <thead><tr><th scope="col">Cluster</th><th scope="col">Connection</th><th scope="col">Node groups</th>
      <th scope="col">Cost $/h</th><th scope="col">Cost $/month</th><th scope="col">Last discovery</th></tr></thead>
    <tbody>${rows.map(({ cluster, savings, sweep }) => html`<tr data-cluster=${cluster.id}>
      <th scope="row">${cluster.name}<div class="meta">${cluster.region} · account ${cluster.account_id} · ${cluster.credentials}</div></th>
      <td><span class=${"status " + cluster.status}>${label(cluster.status)}</span>
        <div class="meta">checked ${when(cluster.connection && cluster.connection.at)}${cluster.connection && cluster.connection.version ? " · Kubernetes " + cluster.connection.version : ""}</div>
        <${Checks} checks=${cluster.connection && cluster.connection.checks} />
        ${(cluster.connection ? cluster.connection.reasons : []).map((r) => html`<div class="meta">${r}</div>`)}</td>
      <td>${cluster.node_groups.length ? html`<ul>${cluster.node_groups.map((g) => html`<li>${g}</li>`)}</ul>` : html`<span class="meta">none found yet</span>`}</td>
      <td class="num">${perHour(savings.current_cost_per_hour)}</td>
      <td class="num">${perMonth(savings.current_cost_per_month)}</td>
      <td>${sweep ? html`${when(sweep.finished_at || sweep.started_at)}<div class="meta">run ${sweep.discovery_run || "–"} · ${label(sweep.status)}</div>` : html`<span class="meta">no sweep yet</span>`}</td>
    </tr>`)}</tbody>
  </table>`;
}

function Onboarding({ me }) {
  const [accounts, error, reload] = useLoad(() => all("v1/accounts", { limit: 50 }));
  const [message, setMessage] = useState(null);
  const canConfigure = me.permissions.includes("configure");
  const template = async (account) => {
    try {
      const { data } = await call(`v1/accounts/${account.aws_account_id}/template`, { raw: true });
      save(data, `cloudoptim-onboarding-${account.aws_account_id}.json`);
    } catch (e) {
      setMessage({ error: true, text: e.message });
    }
  };
  const verify = async (account) => {
    try {
      const { data } = await call(`v1/accounts/${account.aws_account_id}/verify`, { method: "POST" });
      setMessage({ text: `Account ${account.aws_account_id}: ${data.status}.` });
      reload();
    } catch (e) {
      setMessage({ error: true, text: e.message });
    }
  };
  return html`<section aria-labelledby="onboarding">
    <h2 id="onboarding">Onboarding a new account</h2>
    <ol class="steps">
      <li>Register the account: <code>POST /v1/accounts</code> with its id, regions and node launch templates (admin).</li>
      <li>Download its CloudFormation template below and deploy it in that account (it creates the role CloudOptim assumes, with its ExternalId).</li>
      <li>Verify: CloudOptim assumes the role and records what it can and cannot do.</li>
      <li>Register each EKS cluster (<code>POST /v1/clusters</code>), apply <code>GET /v1/clusters/ID/rbac</code>, then check it.</li>
    </ol>
    <${Notice} message=${message} />
    ${error ? html`<${Failure} error=${error} />` : !accounts ? html`<${Loading} what="accounts" />` : accounts.length === 0
      ? html`<p class="empty">No account registered yet.</p>`
      : html`<table class="data"><thead><tr><th scope="col">Account</th><th scope="col">Regions</th><th scope="col">Status</th>
          <th scope="col">Verification</th><th scope="col">Steps</th></tr></thead>
        <tbody>${accounts.map((a) => html`<tr>
          <th scope="row">${a.aws_account_id}</th><td>${a.regions.join(", ")}</td>
          <td><span class=${"status " + a.status}>${a.status}</span></td>
          <td>${a.verification ? html`${when(a.verification.at)}<${Checks} checks=${a.verification.checks} />` : html`<span class="meta">not verified yet</span>`}</td>
          <td class="actions"><button type="button" onClick=${() => template(a)}>Download template</button>
            ${canConfigure && html`<button type="button" onClick=${() => verify(a)}>Verify</button>`}</td>
        </tr>`)}</tbody></table>`}
  </section>`;
}

export function Clusters({ me }) {
  const [rows, error] = useLoad(clusterRows);
  return html`
    ${error ? html`<${Failure} error=${error} />` : rows ? html`<${ClusterTable} rows=${rows} />` : html`<${Loading} what="clusters" />`}
    <p class="meta">Nodes by capacity type and instance family are not yet returned by the API (discovery keeps them
      internally); this page shows what GET /v1/clusters and GET /v1/sweeps return.</p>
    <${Onboarding} me=${me} />`;
}
