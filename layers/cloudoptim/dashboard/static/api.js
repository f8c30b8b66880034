// The one way the pages reach the API: relative URLs (so API Gateway's /prod stage prefix is kept), the user's
// bearer token from this tab's sessionStorage, problems (RFC 9457) turned into ApiError with the API's own words.
const TOKEN = "cloudoptim.token";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN),
  set: (value) => sessionStorage.setItem(TOKEN, value.trim()),
  clear: () => sessionStorage.removeItem(TOKEN),
};

let onUnauthorised = () => {};
export function whenUnauthorised(callback) {
  onUnauthorised = callback;
}

export function query(params) {
  const kept = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "");
  return kept.length ? "?" + new URLSearchParams(kept).toString() : "";
}

// path is relative to the page ("v1/savings"); returns {status, data, etag, headers}.
export async function call(path, { method = "GET", body, ifMatch, raw = false } = {}) {
  const headers = { Authorization: `Bearer ${token.get() || ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch !== undefined && ifMatch !== null) headers["If-Match"] = `"${ifMatch}"`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401) {
    token.clear();
    onUnauthorised("Your sign-in expired or was refused: sign in again.");
  }
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      detail = problem.detail || problem.title || detail;
    } catch (_) {
      // not a problem document: the status line says enough
    }
    throw new ApiError(response.status, detail);
  }
  const etag = (response.headers.get("ETag") || "").replaceAll('"', "");
  if (raw) return { status: response.status, data: await response.blob(), etag, headers: response.headers };
  const data = response.status === 204 ? null : await response.json();
  return { status: response.status, data, etag, headers: response.headers };
}

export const get = async (path) => (await call(path)).data;

// Every page of a paged collection ({items, next_cursor}), up to `most` items.
export async function all(path, params = {}, most = 5000) {
  const items = [];
  let cursor;
  do {
    const page = await get(path + query({ ...params, cursor }));
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < most);
  return items;
}

// A file the browser saves: from a Blob, with a name.
export function save(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}
