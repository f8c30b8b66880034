// Settings: the tenant's safe mode and each cluster's policy (admin edits; others read). Writes send If-Match.
import { html, useEffect, useState } from "../vendor/htm-preact.module.js";
import { all, call, get } from "../api.js";
import { Failure, Loading, Notice, useLoad } from "../ui.js";

function SafeMode({ editable }) {
  const [settings, error, reload] = useLoad(() => get("v1/settings"));
  const [message, setMessage] = useState(null);
  if (error) return html`<${Failure} error=${error} />`;
  if (!settings) return html`<${Loading} what="settings" />`;
  const flip = async (enabled) => {
    try {
      await call("v1/settings/safe-mode", { method: "PUT", body: { enabled }, ifMatch: settings.version });
      setMessage({ text: `Safe mode ${enabled ? "on" : "off"}.` });
    } catch (e) {
      setMessage({ error: true, text: e.message });
    }
    reload();
  };
  return html`<section aria-labelledby="safe-mode"><h2 id="safe-mode">Safe mode</h2>
    <p>When on, every workflow of the tenant runs dry: it decides and records, and changes nothing.</p>
    <label><input type="checkbox" checked=${settings.safe_mode} disabled=${!editable} onChange=${(e) => flip(e.target.checked)} /> Safe mode</label>
    ${!editable && html`<p class="meta">Only an admin can change it.</p>`}
    <${Notice} message=${message} /></section>`;
}

function ClusterPolicy({ cluster, editable }) {
  const [policy, error, reload] = useLoad(() => get(`v1/clusters/${encodeURIComponent(cluster)}/policy`), [cluster]);
  const [text, setText] = useState("");
  const [message, setMessage] = useState(null);
  useEffect(() => { if (policy) setText(JSON.stringify(policy.policy, null, 2)); }, [policy]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!policy) return html`<${Loading} what="the policy" />`;
  const saveIt = async () => {
    let body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      return setMessage({ error: true, text: `Not JSON: ${e.message}` });
    }
    try {
      const { data } = await call(`v1/clusters/${encodeURIComponent(cluster)}/policy`, { method: "PUT", body, ifMatch: policy.version });
      setMessage({ text: `Policy saved (version ${data.version}).` });
      reload();
    } catch (e) {
      setMessage({ error: true, text: e.message });
    }
  };
  return html`<div>
    <label for="policy">Policy of ${cluster} (version ${policy.version}${policy.version === 0 ? ", the default" : ""})</label>
    <textarea id="policy" class="code" rows="18" readonly=${!editable} value=${text} onInput=${(e) => setText(e.target.value)}></textarea>
    ${editable && html`<p><button type="button" class="primary" onClick=${saveIt}>Save policy</button></p>`}
    <${Notice} message=${message} /></div>`;
}

export function Settings({ me }) {
  const editable = me.permissions.includes("configure");
  const [clusters, error] = useLoad(() => all("v1/clusters", { limit: 500 }));
  const [chosen, setChosen] = useState("");
  const cluster = chosen || (clusters && clusters.length ? clusters[0].id : "");
  return html`<${SafeMode} editable=${editable} />
    <section aria-labelledby="policies"><h2 id="policies">Policies per cluster</h2>
      ${error ? html`<${Failure} error=${error} />` : !clusters ? html`<${Loading} what="clusters" />` : !clusters.length
        ? html`<p class="empty">No cluster registered yet.</p>`
        : html`<label>Cluster <select value=${cluster} onChange=${(e) => setChosen(e.target.value)}>
            ${clusters.map((c) => html`<option value=${c.id}>${c.name}</option>`)}</select></label>
          <${ClusterPolicy} key=${cluster} cluster=${cluster} editable=${editable} />`}
    </section>`;
}
