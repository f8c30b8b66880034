// The shell: sign-in, the navigation bar, and the page named by the URL's hash (#/overview, #/recommendations...).
import { html, render, useEffect, useState } from "./vendor/htm-preact.module.js";
import { ApiError, get, token, whenUnauthorised } from "./api.js";
import { arrive, config, signOut, startCognito, takeToken } from "./signin.js";
import { Failure, Loading } from "./ui.js";
import { Overview } from "./pages/overview.js";
import { Recommendations } from "./pages/recommendations.js";
import { Clusters } from "./pages/clusters.js";
import { HiveMind } from "./pages/hivemind.js";
import { Schedules } from "./pages/schedules.js";
import { Audit } from "./pages/audit.js";
import { Settings } from "./pages/settings.js";

export const PAGES = [
  ["overview", "Overview", Overview],
  ["recommendations", "Recommendations", Recommendations],
  ["clusters", "Clusters", Clusters],
  ["hive-mind", "Hive mind", HiveMind],
  ["schedules", "Schedules", Schedules],
  ["audit", "Audit", Audit],
  ["settings", "Settings", Settings],
];

const current = () => (location.hash.match(/^#\/([a-z-]+)/) || [])[1] || "overview";

function SignIn({ settings, reason }) {
  const [pasted, setPasted] = useState("");
  const submit = (event) => {
    event.preventDefault();
    token.set(pasted);
    location.reload();
  };
  return html`<main id="main" class="signin">
    <h1>Sign in to CloudOptim</h1>
    ${reason && html`<p class="error" role="alert">${reason}</p>`}
    ${settings.mode === "cognito"
      ? html`<button type="button" class="primary" onClick=${() => startCognito(settings)}>Sign in</button>`
      : html`<form onSubmit=${submit}>
          <p>Local mode: paste a token printed by <code>cloudoptim local token --tenant NAME --role admin</code>
            (or open <code>/#token=TOKEN</code>). It is kept for this tab only.</p>
          <label for="token">Token</label>
          <textarea id="token" rows="5" required value=${pasted} onInput=${(e) => setPasted(e.target.value)}></textarea>
          <button type="submit" class="primary">Sign in</button>
        </form>`}
  </main>`;
}

function Shell({ settings, me }) {
  const [page, setPage] = useState(current());
  useEffect(() => {
    const follow = () => setPage(current());
    addEventListener("hashchange", follow);
    return () => removeEventListener("hashchange", follow);
  }, []);
  const [, title, Page] = PAGES.find(([id]) => id === page) || PAGES[0];
  useEffect(() => { document.title = `${title} · CloudOptim`; }, [title]);
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main").focus(); }}>Skip to content</a>
    <header>
      <span class="brand">CloudOptim</span>
      <nav aria-label="Main">
        <ul>${PAGES.map(([id, name]) => html`<li><a href=${"#/" + id} aria-current=${id === page ? "page" : undefined}>${name}</a></li>`)}</ul>
      </nav>
      <span class="who">${me.email || me.subject} · ${me.tenant_id} · <span data-role>${me.role}</span></span>
      <button type="button" onClick=${() => signOut(settings)}>Sign out</button>
    </header>
    <main id="main" tabindex="-1">
      <h1>${title}</h1>
      <${Page} key=${page} me=${me} />
    </main>`;
}

function App() {
  const [state, setState] = useState({ phase: "loading" });
  useEffect(() => {
    whenUnauthorised((reason) => setState((s) => ({ ...s, phase: "signin", reason })));
    (async () => {
      const settings = await config();
      try {
        await arrive(settings);
      } catch (error) {
        return setState({ phase: "signin", settings, reason: error.message });
      }
      if (!token.get()) return setState({ phase: "signin", settings });
      try {
        setState({ phase: "ready", settings, me: await get("v1/me") });
      } catch (error) {
        const reason = error instanceof ApiError && error.status === 401 ? error.message : null;
        setState(reason ? { phase: "signin", settings, reason } : { phase: "failed", settings, error });
      }
    })();
  }, []);
  if (state.phase === "loading") return html`<main id="main"><${Loading} what="CloudOptim" /></main>`;
  if (state.phase === "failed") return html`<main id="main"><h1>CloudOptim</h1><${Failure} error=${state.error} /></main>`;
  if (state.phase === "signin") return html`<${SignIn} settings=${state.settings || { mode: "token" }} reason=${state.reason} />`;
  return html`<${Shell} settings=${state.settings} me=${state.me} />`;
}

if (!location.pathname.endsWith("/")) location.replace(location.pathname + "/" + location.search + location.hash);
else {
  takeToken();
  const root = document.getElementById("root");
  root.textContent = ""; // the static "Loading…" placeholder: Preact renders beside existing children otherwise
  render(html`<${App} />`, root);
}
