// Recommendations: sortable by savings, filterable, reasons and patch in an expandable row, Approve and Reject for
// those whose role may act (with a confirmation), CSV of exactly the rows shown.
import { html, useMemo, useState } from "../vendor/htm-preact.module.js";
import { all, call, save } from "../api.js";
import { csv, label, perHour, perMonth, when } from "../format.js";
import { Confirm, Failure, Loading, Notice, useLoad } from "../ui.js";

const COLUMNS = ["id", "cluster", "kind", "status", "title", "current", "recommended", "projected_savings_per_hour",
  "projected_savings_per_month", "cost_before_per_hour", "expires_at", "reasons"];

function Copy({ text }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone(true);
    } catch (_) {
      setDone(false);
    }
  };
  return html`<button type="button" onClick=${copy}>${done ? "Copied" : "Copy patch"}</button>`;
}

// What a row says when expanded; rendered only then (1,000 rows stay light).
function Reasons({ row }) {
  return html`
    <ul class="reasons">${row.reasons.map((r) => html`<li>${r}</li>`)}</ul>
    <p class="meta">Cost before ${perHour(row.cost_before_per_hour)}/h · expires ${when(row.expires_at)} · sweep ${row.sweep_id}</p>
    ${row.gitops_owner && html`<p class="meta">Managed by ${row.gitops_owner}: change it there.</p>`}
    ${row.patch && html`<div class="patch"><pre><code>${row.patch}</code></pre><${Copy} text=${row.patch} /></div>`}`;
}

function Row({ row, canAct, decide }) {
  const [open, setOpen] = useState(false);
  const decidable = row.status === "open";
  return html`<tr data-id=${row.id}>
    <td>${label(row.kind)}</td>
    <td>${row.cluster}</td>
    <td>
      <details onToggle=${(e) => setOpen(e.target.open)}>
        <summary>${row.title}</summary>
        ${open && html`<${Reasons} row=${row} />`}
      </details>
    </td>
    <td class="change">${row.current} → ${row.recommended}</td>
    <td class="num" data-savings=${row.projected_savings_per_month}>${perMonth(row.projected_savings_per_month)}</td>
    <td><span class=${"status " + row.status} data-status>${label(row.status)}</span></td>
    ${canAct && html`<td class="actions">${decidable && html`
      <button type="button" onClick=${() => decide(row, "approve")} aria-label=${"Approve " + row.title}>Approve</button>
      <button type="button" onClick=${() => decide(row, "reject")} aria-label=${"Reject " + row.title}>Reject</button>`}</td>`}
  </tr>`;
}

export function Recommendations({ me }) {
  const [rows, error, reload] = useLoad(() => all("v1/recommendations", { limit: 1000 }));
  const [changed, setChanged] = useState({});
  const [order, setOrder] = useState("desc");
  const [filter, setFilter] = useState({ cluster: "", kind: "", status: "" });
  const [ask, setAsk] = useState(null);
  const [message, setMessage] = useState(null);
  const canAct = me.permissions.includes("act");
  const merged = useMemo(() => (rows || []).map((r) => changed[r.id] || r), [rows, changed]);
  const shown = useMemo(() => {
    const kept = merged.filter((r) => Object.entries(filter).every(([k, v]) => !v || r[k] === v));
    const sign = order === "desc" ? -1 : 1;
    return kept.sort((a, b) => sign * (a.projected_savings_per_month - b.projected_savings_per_month) || a.id.localeCompare(b.id));
  }, [merged, filter, order]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!rows) return html`<${Loading} what="recommendations" />`;
  const choices = (field) => [...new Set(merged.map((r) => r[field]))].sort();
  const decide = (row, verb) => setAsk({
    title: `${verb === "approve" ? "Approve" : "Reject"} this recommendation?`,
    text: verb === "approve"
      ? `“${row.title}” on ${row.cluster} will be re-validated against fresh state, then executed (dry in safe mode).`
      : `“${row.title}” on ${row.cluster} will not be executed.`,
    confirm: verb === "approve" ? "Approve" : "Reject",
    withReason: verb === "reject",
    onConfirm: async (reason) => {
      try {
        const body = verb === "reject" ? { reason: reason || null } : undefined;
        const { data } = await call(`v1/recommendations/${encodeURIComponent(row.id)}/${verb}`, { method: "POST", body, ifMatch: row.version });
        setChanged((c) => ({ ...c, [row.id]: data }));
        setMessage({ text: `${row.title}: ${label(data.status)}.` });
      } catch (e) {
        setMessage({ error: true, text: `${row.title}: ${e.message}` });
        if (e.status === 412 || e.status === 409) reload();
      }
    },
  });
  const exportRows = () => save(csv(COLUMNS, shown), "cloudoptim-recommendations.csv");
  const sortLabel = order === "desc" ? "descending" : "ascending";
  return html`
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      ${["cluster", "kind", "status"].map((field) => html`<label>${field[0].toUpperCase() + field.slice(1)}
        <select value=${filter[field]} onChange=${(e) => setFilter({ ...filter, [field]: e.target.value })}>
          <option value="">All</option>${choices(field).map((v) => html`<option value=${v}>${label(v)}</option>`)}
        </select></label>`)}
      <button type="button" onClick=${exportRows}>Export CSV (${shown.length} rows)</button>
    </form>
    <${Notice} message=${message} />
    <p class="meta" role="status">${shown.length} of ${merged.length} recommendations, by savings ${sortLabel}.</p>
    <table class="data recommendations">
      <thead><tr>
        <th scope="col">Kind</th><th scope="col">Cluster</th><th scope="col">Recommendation</th>
        <th scope="col">Current → recommended</th>
        <th scope="col" aria-sort=${sortLabel}>
          <button type="button" class="sort" onClick=${() => setOrder(order === "desc" ? "asc" : "desc")}>Savings $/month <span aria-hidden="true">${order === "desc" ? "▼" : "▲"}</span></button></th>
        <th scope="col">Status</th>
        ${canAct && html`<th scope="col">Decision</th>`}
      </tr></thead>
      <tbody>${shown.map((row) => html`<${Row} key=${row.id} row=${row} canAct=${canAct} decide=${decide} />`)}</tbody>
    </table>
    ${shown.length === 0 && html`<p class="empty">No recommendation matches.</p>`}
    <${Confirm} ask=${ask} close=${() => setAsk(null)} />`;
}
