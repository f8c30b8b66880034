// Schedules: a cluster's hibernation week as a 7 x 24 grid in its own time zone (awake hours pressed), holidays,
// the next transitions the API previews, and a manual wake-up. Saving sends If-Match with the version read.
import { html, useEffect, useState } from "../vendor/htm-preact.module.js";
import { all, call, get } from "../api.js";
import { label, when } from "../format.js";
import { Failure, Loading, Notice, useLoad } from "../ui.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const NAMES = { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" };
const HOURS = [...Array(24).keys()];
const FIELDS = ["timezone", "awake", "prewarm_minutes", "holidays", "exclusions", "keep_node_groups", "enabled"];
const minutes = (clock) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3));
const clock = (hour) => `${String(hour).padStart(2, "0")}:00`;

// {mon: [["08:00", "19:00"]]} -> {mon: [false x 8, true x 11, false x 5]}; `exact` is false when a span does not
// start and end on the hour (the grid then shows every hour it touches).
export function toGrid(awake) {
  let exact = true;
  const grid = Object.fromEntries(DAYS.map((day) => [day, HOURS.map(() => false)]));
  for (const day of DAYS) {
    for (const [start, end] of awake[day] || []) {
      const [a, b] = [minutes(start), minutes(end)];
      if (a % 60 || b % 60) exact = false;
      HOURS.forEach((h) => { if (h * 60 < b && (h + 1) * 60 > a) grid[day][h] = true; });
    }
  }
  return { grid, exact };
}

export function toAwake(grid) {
  const awake = {};
  for (const day of DAYS) {
    const spans = [];
    HOURS.forEach((h) => {
      if (!grid[day][h]) return;
      const last = spans[spans.length - 1];
      if (last && last[1] === clock(h)) last[1] = h === 23 ? "24:00" : clock(h + 1);
      else spans.push([clock(h), h === 23 ? "24:00" : clock(h + 1)]);
    });
    awake[day] = spans;
  }
  return awake;
}

function Grid({ grid, setGrid, editable, timezone }) {
  const flip = (day, h) => setGrid({ ...grid, [day]: grid[day].map((v, i) => (i === h ? !v : v)) });
  return html`<table class="week" aria-describedby="grid-help">
    <caption id="grid-help">Awake hours (pressed) in ${timezone}; the cluster sleeps in the others.</caption>
    <thead><tr><th scope="col"><span class="sr">Day</span></th>${HOURS.map((h) => html`<th scope="col">${String(h).padStart(2, "0")}</th>`)}</tr></thead>
    <tbody>${DAYS.map((day) => html`<tr><th scope="row">${NAMES[day]}</th>${HOURS.map((h) => html`<td>
      <button type="button" class="hour" aria-pressed=${grid[day][h] ? "true" : "false"} disabled=${!editable}
        data-day=${day} data-hour=${h} aria-label=${`${NAMES[day]} ${clock(h)} to ${h === 23 ? "24:00" : clock(h + 1)}`}
        onClick=${() => flip(day, h)}></button></td>`)}</tr>`)}</tbody>
  </table>`;
}

function Editor({ cluster, me }) {
  const [view, error, reload] = useLoad(() => get(`v1/clusters/${encodeURIComponent(cluster)}/hibernation`), [cluster]);
  const [draft, setDraft] = useState(null);
  const [holiday, setHoliday] = useState("");
  const [hours, setHours] = useState(4);
  const [message, setMessage] = useState(null);
  useEffect(() => {
    if (!view) return;
    const schedule = view.schedule || { timezone: "UTC", awake: Object.fromEntries(DAYS.map((d) => [d, [["00:00", "24:00"]]])), holidays: [], prewarm_minutes: 0, enabled: true };
    const { grid, exact } = toGrid(schedule.awake || {});
    setDraft({ schedule, grid, exact });
  }, [view]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!view || !draft) return html`<${Loading} what="the schedule" />`;
  const editable = me.permissions.includes("configure");
  const set = (changes) => setDraft({ ...draft, schedule: { ...draft.schedule, ...changes } });
  const saveSchedule = async () => {
    const body = Object.fromEntries(FIELDS.filter((f) => draft.schedule[f] !== undefined).map((f) => [f, draft.schedule[f]]));
    body.awake = toAwake(draft.grid);
    try {
      const { data } = await call(`v1/clusters/${encodeURIComponent(cluster)}/hibernation/schedule`, { method: "PUT", body, ifMatch: view.schedule_version });
      setMessage({ text: `Schedule saved (version ${data.version}).` });
      reload();
    } catch (e) {
      setMessage({ error: true, text: e.status === 412 ? "Someone changed this schedule meanwhile: reloaded, edit again." : e.message });
      if (e.status === 412) reload();
    }
  };
  const wake = async () => {
    try {
      await call(`v1/clusters/${encodeURIComponent(cluster)}/hibernation/wake`, { method: "POST", body: { hours: Number(hours) } });
      setMessage({ text: `Wake-up requested for ${hours} h: the next tick, within 5 minutes, starts it.` });
      reload();
    } catch (e) {
      setMessage({ error: true, text: e.message });
    }
  };
  const holidays = draft.schedule.holidays || [];
  return html`
    <${Notice} message=${message} />
    <p>State: <strong data-state>${label(view.state)}</strong>${view.since && ` since ${when(view.since)}`}
      ${view.desired && html` · should be ${view.desired.awake ? "awake" : "asleep"} now (${view.desired.reason})`}
      ${view.manual_wake_until && html` · woken by hand until ${when(view.manual_wake_until)}`}
      ${view.schedule ? "" : html` · <em>no schedule yet: the cluster stays awake</em>`}</p>
    <div class="fields">
      <label>Time zone <input type="text" value=${draft.schedule.timezone} disabled=${!editable} onInput=${(e) => set({ timezone: e.target.value })} /></label>
      <label>Pre-warm minutes <input type="number" min="0" max="240" value=${draft.schedule.prewarm_minutes || 0} disabled=${!editable}
        onInput=${(e) => set({ prewarm_minutes: Number(e.target.value) })} /></label>
      <label><input type="checkbox" checked=${draft.schedule.enabled !== false} disabled=${!editable} onChange=${(e) => set({ enabled: e.target.checked })} /> Enabled</label>
    </div>
    ${!draft.exact && html`<p class="notice">Some spans do not start or end on the hour; saving from the grid rounds them out to whole hours.</p>`}
    <${Grid} grid=${draft.grid} setGrid=${(grid) => setDraft({ ...draft, grid })} editable=${editable} timezone=${draft.schedule.timezone} />
    <h2>Holidays</h2>
    ${holidays.length ? html`<ul class="holidays">${holidays.map((d) => html`<li>${d}
      ${editable && html`<button type="button" aria-label=${"Remove holiday " + d} onClick=${() => set({ holidays: holidays.filter((x) => x !== d) })}>Remove</button>`}</li>`)}</ul>`
      : html`<p class="empty">No holiday: asleep all day on the dates listed here.</p>`}
    ${editable && html`<div class="fields"><label>Holiday <input type="date" value=${holiday} onInput=${(e) => setHoliday(e.target.value)} /></label>
      <button type="button" onClick=${() => holiday && !holidays.includes(holiday) && set({ holidays: [...holidays, holiday].sort() })}>Add holiday</button></div>`}
    ${editable && html`<p><button type="button" class="primary" onClick=${saveSchedule}>Save schedule</button>
      <span class="meta"> version ${view.schedule_version}</span></p>`}
    <h2>Next transitions</h2>
    ${view.next_transitions.length ? html`<table class="data transitions"><thead><tr><th scope="col">When (UTC)</th><th scope="col">Local time</th><th scope="col">Action</th></tr></thead>
      <tbody>${view.next_transitions.map((t) => html`<tr><td>${when(t.at)}</td><td>${t.local}</td><td>${t.action}</td></tr>`)}</tbody></table>`
      : html`<p class="empty">No transition ahead.</p>`}
    ${me.permissions.includes("act") && html`<h2>Manual wake-up</h2><div class="fields">
      <label>Hours awake <input type="number" min="0.5" max="72" step="0.5" value=${hours} onInput=${(e) => setHours(e.target.value)} /></label>
      <button type="button" onClick=${wake}>Wake now</button></div>`}
    ${view.history.length > 0 && html`<h2>Recent sleeps and wakes</h2><table class="data"><thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Dry run</th></tr></thead>
      <tbody>${view.history.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.action}</td><td>${e.outcome}</td><td>${e.dry_run ? "yes" : "no"}</td></tr>`)}</tbody></table>`}`;
}

export function Schedules({ me }) {
  const [clusters, error] = useLoad(() => all("v1/clusters", { limit: 500 }));
  const [chosen, setChosen] = useState("");
  if (error) return html`<${Failure} error=${error} />`;
  if (!clusters) return html`<${Loading} what="clusters" />`;
  if (!clusters.length) return html`<p class="empty">No cluster registered yet.</p>`;
  const cluster = chosen || clusters[0].id;
  return html`<label>Cluster <select value=${cluster} onChange=${(e) => setChosen(e.target.value)}>
      ${clusters.map((c) => html`<option value=${c.id}>${c.name} (${c.region})</option>`)}</select></label>
    <${Editor} key=${cluster} cluster=${cluster} me=${me} />`;
}
