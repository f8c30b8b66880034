// Numbers as the API gives them: never re-derived here, only printed ($/h to 4 places as the API rounds it,
// $/month to the cent).
export const HOURS_PER_MONTH = 730;

const FORMATS = new Map(); // one Intl.NumberFormat per precision: building one per number is slow at 1,000 rows
const grouped = (value, places) => {
  if (!FORMATS.has(places)) FORMATS.set(places, new Intl.NumberFormat("en-US", { minimumFractionDigits: places, maximumFractionDigits: places }));
  return FORMATS.get(places).format(Number(value));
};

export const perHour = (value) => (value === null || value === undefined ? "–" : `$${grouped(value, 4)}`);
export const perMonth = (value) => (value === null || value === undefined ? "–" : `$${grouped(value, 2)}`);
export const when = (iso) => (iso ? iso.replace("T", " ").replace("Z", " UTC") : "–");
export const label = (words) => String(words).replaceAll("_", " ");

function cell(value) {
  const text = Array.isArray(value) ? value.join(" | ") : value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csv(columns, rows) {
  const lines = [columns.join(",")].concat(rows.map((row) => columns.map((c) => cell(row[c])).join(",")));
  return new Blob([lines.join("\r\n") + "\r\n"], { type: "text/csv" });
}
