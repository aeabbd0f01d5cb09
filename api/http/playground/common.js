// What every part of the playground shares: element helpers, the key and the API call. Every value
// from the API is put on the page as text (textContent), never as HTML.

/** Where the key is kept (this tab only). */
export const KEY_STORAGE = "vitrine.key";

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(typeof c === "string" ? document.createTextNode(c) : c);
  return node;
}

/** The API key in use, or "". */
export function key() {
  return sessionStorage.getItem(KEY_STORAGE) || "";
}

/** An API failure with the server's code and message. */
export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Call the API: JSON in, JSON out; REST and tRPC errors become ApiFailure with the server's message. */
export async function api(path, { method, body, signal } = {}) {
  const headers = {};
  if (key()) headers.authorization = `Bearer ${key()}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(path, { method: method || (body !== undefined ? "POST" : "GET"), headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!res.ok) {
    const e = data && data.error;
    const code = (e && (e.code && typeof e.code === "string" ? e.code : e.data && e.data.code)) || String(res.status);
    throw new ApiFailure(res.status, code, (e && e.message) || `HTTP ${res.status}`);
  }
  return data;
}

/** A tRPC query URL (GET with ?input=). */
export const trpcUrl = (path, input) => `/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;

/** Show a message (or clear it) in a status line. */
export function setStatus(node, message, isError = false) {
  node.replaceChildren(message ? el("span", { class: isError ? "error" : "muted", text: message }) : "");
}
