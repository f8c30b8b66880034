// Signing in. AWS: Cognito's hosted UI, authorization code with PKCE; the ID token is kept for this tab only.
// Local: the local issuer's token, passed as /#token=... or pasted. The API verifies either like any bearer token.
import { token } from "./api.js";

const VERIFIER = "cloudoptim.pkce";

export async function config() {
  const response = await fetch("ui/config.json");
  return response.ok ? response.json() : { mode: "token" };
}

function redirectUri() {
  return location.origin + location.pathname;
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export async function startCognito(settings) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  sessionStorage.setItem(VERIFIER, verifier);
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const params = new URLSearchParams({
    response_type: "code", client_id: settings.client_id, redirect_uri: redirectUri(),
    scope: "openid email profile", code_challenge_method: "S256", code_challenge: challenge,
  });
  location.assign(`${settings.domain}/oauth2/authorize?${params}`);
}

async function finishCognito(settings, code) {
  const body = new URLSearchParams({
    grant_type: "authorization_code", client_id: settings.client_id, code, redirect_uri: redirectUri(),
    code_verifier: sessionStorage.getItem(VERIFIER) || "",
  });
  sessionStorage.removeItem(VERIFIER);
  const response = await fetch(`${settings.domain}/oauth2/token`, { method: "POST", body });
  if (!response.ok) throw new Error("Cognito refused the sign-in code: sign in again.");
  token.set((await response.json()).id_token);
}

// Takes a token passed as /#token=... (local mode) and cleans the URL; synchronous, before anything can navigate.
export function takeToken() {
  const fromHash = new URLSearchParams(location.hash.replace(/^#/, "")).get("token");
  if (fromHash) {
    token.set(fromHash);
    history.replaceState(null, "", location.pathname + location.search + "#/overview");
  }
}

// Takes the code Cognito's hosted UI sends back (?code=...), trades it for tokens, then cleans the URL.
export async function arrive(settings) {
  const code = new URLSearchParams(location.search).get("code");
  if (code && settings.mode === "cognito") {
    history.replaceState(null, "", location.pathname + "#/overview");
    await finishCognito(settings, code);
  }
}

export function signOut(settings) {
  token.clear();
  if (settings.mode === "cognito") {
    const params = new URLSearchParams({ client_id: settings.client_id, logout_uri: redirectUri() });
    location.assign(`${settings.domain}/logout?${params}`);
  } else {
    location.hash = "#/overview";
    location.reload();
  }
}
