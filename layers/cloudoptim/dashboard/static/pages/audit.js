// Audit: the tenant's log, newest first, searched by the API's own filters, a page at a time (cursors); CSV of
// the search, the verifiable export, and what this browser can check of its chain.
import { html, useState } from "../vendor/htm-preact.module.js";
import { call, get, query, save } from "../api.js";
import { when } from "../format.js";
import { Failure, Loading, Notice, useLoad } from "../ui.js";

const PAGE = 25;
const EMPTY = { action: "", actor: "", target: "", since: "", until: "" };
const GENESIS = "0".repeat(64);

function params(search) {
  const iso = (day) => (day ? `${day}T00:00:00Z` : "");
  return { action: search.action, actor: search.actor, target: search.target, since: iso(search.since), until: iso(search.until) };
}

// Sequence numbers and hash links of an export; hashes and signatures are checked by `cloudoptim audit verify`.
export function links(text) {
  const lines = text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
  const entries = lines.filter((l) => l.type === "entry"), checkpoints = lines.filter((l) => l.type === "checkpoint");
  let previous = GENESIS;
  for (const [i, entry] of entries.entries()) {
    if (entry.seq !== i + 1) return { ok: false, text: `entry ${i + 1}: seq is ${entry.seq}` };
    if (entry.prev_hash !== previous) return { ok: false, text: `entry ${i + 1}: prev_hash does not link to entry ${i}` };
    previous = entry.hash;
  }
  return { ok: true, text: `${entries.length} entries linked in sequence, ${checkpoints.length} signed checkpoint(s)` };
}

function Verification() {
  const [state, setState] = useState(null);
  const run = async (download) => {
    setState({ text: "Reading the export…" });
    try {
      const { data, headers } = await call("v1/audit/export", { raw: true });
      const found = links(await data.text());
      setState({ ...found, error: !found.ok });
      if (download) {
        const name = (headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
        save(data, name ? name[1] : "cloudoptim-audit.ndjson");
      }
    } catch (e) {
      setState({ error: true, text: e.message });
    }
  };
  return html`<section aria-labelledby="verification"><h2 id="verification">Export and verification</h2>
    <p><button type="button" onClick=${() => run(true)}>Download verifiable export</button>
      <button type="button" onClick=${() => run(false)}>Check chain links</button></p>
    ${state && html`<p class=${state.error ? "error" : "notice"} role="status" data-verification=${state.ok ? "linked" : "broken"}>
      ${state.ok === undefined ? "" : state.ok ? "Chain intact: " : "Chain broken: "}${state.text}</p>`}
    <p class="meta">This page checks sequence and links; every hash and signature is checked offline by
      <code>cloudoptim audit verify FILE</code> on the downloaded file.</p></section>`;
}

export function Audit() {
  const [form, setForm] = useState(EMPTY);
  const [search, setSearch] = useState(EMPTY);
  const [cursors, setCursors] = useState([null]);
  const [message, setMessage] = useState(null);
  const cursor = cursors[cursors.length - 1];
  const [page, error] = useLoad(() => get("v1/audit" + query({ ...params(search), limit: PAGE, cursor })), [search, cursor]);
  const submit = (e) => {
    e.preventDefault();
    setSearch(form);
    setCursors([null]);
  };
  const exportCsv = async () => {
    try {
      const { data, headers } = await call("v1/audit" + query({ ...params(search), limit: 1000, format: "csv" }), { raw: true });
      save(data, "cloudoptim-audit.csv");
      setMessage(headers.get("X-Next-Cursor") ? { text: "The CSV holds the newest 1,000 entries of this search; narrow it for older ones." } : null);
    } catch (err) {
      setMessage({ error: true, text: err.message });
    }
  };
  const field = (name, title, type = "search") => html`<label>${title}
    <input type=${type} name=${name} value=${form[name]} onInput=${(e) => setForm({ ...form, [name]: e.target.value })} /></label>`;
  return html`
    <form class="filters" role="search" onSubmit=${submit}>
      ${field("action", "Action")}${field("actor", "Actor")}${field("target", "Target")}
      ${field("since", "From", "date")}${field("until", "Until", "date")}
      <button type="submit" class="primary">Search</button>
      <button type="button" onClick=${exportCsv}>Export CSV</button>
    </form>
    <${Notice} message=${message} />
    ${error ? html`<${Failure} error=${error} />` : !page ? html`<${Loading} what="the audit log" />` : html`
      <p class="meta" role="status">Page ${cursors.length}: ${page.items.length} entries${page.next_cursor ? ", more on the next page" : ""}.</p>
      <table class="data audit">
        <thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th>
          <th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Dry run</th></tr></thead>
        <tbody>${page.items.map((e) => html`<tr data-seq=${e.seq}>
          <td class="num">${e.seq}</td><td>${when(e.time)}</td><td>${e.actor}</td><td>${e.action}</td>
          <td><code>${Object.entries(e.target).map(([k, v]) => `${k}=${v}`).join(" ")}</code></td>
          <td>${e.outcome}${e.reasons.length ? html`<div class="meta">${e.reasons.join("; ")}</div>` : ""}</td>
          <td>${e.dry_run ? "yes" : "no"}</td></tr>`)}</tbody>
      </table>
      ${page.items.length === 0 && html`<p class="empty">No entry matches.</p>`}
      <nav class="pager" aria-label="Audit pages">
        <button type="button" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous page</button>
        <button type="button" disabled=${!page.next_cursor} onClick=${() => setCursors([...cursors, page.next_cursor])}>Next page</button>
      </nav>`}
    <${Verification} />`;
}
