// The Vitrine playground: one page over the API it is served by (same origin, so no CORS). The key
// lives in sessionStorage and goes out in the Authorization header; every value from the API is
// put on the page as text (textContent), never as HTML.
"use strict";

const KEY_STORAGE = "vitrine.key";
const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes). */
function el(tag, attrs = {}, ...children) {
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

function key() {
  return sessionStorage.getItem(KEY_STORAGE) || "";
}

/** An API failure with the server's code and message. */
class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Call the API: JSON in, JSON out; REST and tRPC errors become ApiFailure with the server's message. */
async function api(path, { method, body, signal } = {}) {
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

const trpcUrl = (path, input) => `/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`;

function setStatus(node, message, isError = false) {
  node.replaceChildren(message ? el("span", { class: isError ? "error" : "muted", text: message }) : "");
}

// ---- key -------------------------------------------------------------------------------------

function showKeyState() {
  $("key-state").textContent = key() ? `key set (…${key().slice(-4)})` : "no key";
}

$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const v = $("key").value.trim();
  if (v) sessionStorage.setItem(KEY_STORAGE, v);
  $("key").value = "";
  showKeyState();
  void loadReleases();
  void refreshJobs();
});
$("key-forget").addEventListener("click", () => {
  sessionStorage.removeItem(KEY_STORAGE);
  showKeyState();
});

// ---- search ----------------------------------------------------------------------------------

/** A filter expression as text: brand = "Acme" AND price ≤ 80. */
function exprText(e) {
  if (!e) return "none";
  const v = (x) => JSON.stringify(x);
  switch (e.op) {
    case "eq":
      return `${e.field} = ${v(e.value)}`;
    case "in":
      return `${e.field} in [${e.values.map(v).join(", ")}]`;
    case "range":
      return [e.gte !== undefined && `${e.field} ≥ ${e.gte}`, e.gt !== undefined && `${e.field} > ${e.gt}`, e.lte !== undefined && `${e.field} ≤ ${e.lte}`, e.lt !== undefined && `${e.field} < ${e.lt}`].filter(Boolean).join(" AND ");
    case "and":
      return e.filters.map((f) => (f.op === "or" ? `(${exprText(f)})` : exprText(f))).join(" AND ");
    case "or":
      return e.filters.map(exprText).join(" OR ");
    case "not":
      return `NOT (${exprText(e.filter)})`;
    default:
      return JSON.stringify(e);
  }
}

/** The thumbnail variant of an image URL. */
function thumb(url) {
  try {
    const u = new URL(url, location.href);
    u.searchParams.set("size", "thumb");
    return u.href;
  } catch {
    return url;
  }
}

const seen = { brands: new Set(), categories: new Set() };
function remember(items) {
  for (const it of items) {
    if (it.brand) seen.brands.add(it.brand);
    if (it.category) seen.categories.add(it.category);
  }
  $("brands").replaceChildren(...[...seen.brands].sort().map((b) => el("option", { value: b })));
  $("categories").replaceChildren(...[...seen.categories].sort().map((c) => el("option", { value: c })));
}

function request() {
  const filters = {};
  const brand = $("brand").value.trim();
  const category = $("category").value.trim();
  if (brand) filters.brand = brand;
  if (category) filters.category = category;
  const price = {};
  if ($("price-min").value !== "") price.gte = Number($("price-min").value);
  if ($("price-max").value !== "") price.lte = Number($("price-max").value);
  if (Object.keys(price).length) filters.price = price;
  const body = { query: $("query").value, k: Number($("k").value) || 24, understand: $("understand").checked, relax: $("relax").checked };
  if (Object.keys(filters).length) body.filters = filters;
  if ($("release").value) body.release = $("release").value;
  return body;
}

function card(item, rank) {
  const img = item.image ? el("img", { src: thumb(item.image), alt: item.title }) : el("div", { class: "noimg", text: "no image" });
  const channels = item.channels
    ? `vector ${item.channels.vector === null ? "–" : item.channels.vector.toFixed(3)} · lexical ${item.channels.lexical === null ? "–" : item.channels.lexical.toFixed(3)}`
    : null;
  return el(
    "article",
    { class: `card${item.relaxed ? " relaxed" : ""}`, "data-id": item.id },
    img,
    el("div", { class: "title", text: `${rank}. ${item.title}` }),
    el("div", { class: "muted", text: [item.brand, item.category].filter(Boolean).join(" · ") || "—" }),
    el("div", {}, item.price === null ? "" : `${item.price} · `, el("span", { class: "score", text: `score ${item.score.toFixed(4)}` })),
    el("div", {}, el("span", { class: "badge", text: item.source }), item.relaxed ? el("span", { class: "badge warn", text: "relaxed" }) : null),
    channels ? el("div", { class: "muted small", text: channels }) : null,
  );
}

function summary(r, ms) {
  const c = r.constraints;
  const chips = (list, cls) => (list.length ? list.map((x) => el("span", { class: `badge ${cls}`, text: `${x.field} = ${x.value} (“${x.term}”)` })) : [el("span", { class: "muted", text: "none" })]);
  const rows = [
    ["served by", [el("span", { class: "badge ok", id: "path", text: r.path }), ` release ${r.release}`]],
    ["channels", r.channels.length ? r.channels.join(" + ") : "precomputed list only"],
    ["blend", r.blend ? `${r.blend.method}, vector weight ${r.blend.weight}` : "—"],
    ["query terms", [el("code", { text: r.terms }), ` (qid ${r.qid})`]],
    ["from the query", chips(c.fromQuery, "")],
    ["from your filters", exprText(c.fromCaller)],
    ["applied", el("code", { id: "applied", text: exprText(c.applied) })],
    ["relaxed", chips(c.relaxed, "warn")],
    ["items", `${r.items.length}${r.items.some((i) => i.relaxed) ? ` (${r.items.filter((i) => i.relaxed).length} only after relaxing)` : ""}`],
    ["timings", `${Object.entries(r.timings)
      .map(([k, v]) => `${k} ${Number(v).toFixed(2)} ms`)
      .join(" · ")} · round trip ${ms.toFixed(0)} ms`],
  ];
  $("summary").replaceChildren(el("dl", {}, rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)])));
  $("summary").hidden = false;
}

let searching = null;
$("search").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!key()) return setStatus($("status"), "Enter an API key first (a read or search key is enough to search).", true);
  searching?.abort();
  searching = new AbortController();
  setStatus($("status"), "searching…");
  const started = performance.now();
  try {
    const r = await api("/v1/retrieve", { body: request(), signal: searching.signal });
    const ms = performance.now() - started;
    remember(r.items);
    summary(r, ms);
    $("results").replaceChildren(...r.items.map((it, i) => card(it, i + 1)));
    setStatus($("status"), r.items.length ? "" : "No items: loosen the filters or switch relax on.");
    history.replaceState(null, "", `?q=${encodeURIComponent($("query").value)}`);
  } catch (err) {
    if (err.name === "AbortError") return;
    setStatus($("status"), `${err.code ? `${err.code}: ` : ""}${err.message}`, true);
  }
});

async function loadReleases() {
  const select = $("release");
  if (!key()) return;
  try {
    const { releases } = await api("/v1/releases");
    select.replaceChildren(el("option", { value: "", text: "active" }), ...releases.map((r) => el("option", { value: r.id, text: `${r.id}${r.active ? " (active)" : ""} · ${r.model}` })));
    select.disabled = false;
  } catch (err) {
    select.disabled = true;
    select.title = err.status === 403 ? "this key may not list releases (a search key): the active release answers" : err.message;
  }
}

// ---- jobs ------------------------------------------------------------------------------------

let watching = null;

function showJob(job) {
  $("job-live").hidden = false;
  $("job-title").textContent = `${job.kind} ${job.id}`;
  const state = $("job-state");
  state.textContent = job.state;
  state.className = `badge ${job.state === "succeeded" ? "ok" : job.state === "running" || job.state === "queued" ? "" : "bad"}`;
  const p = job.progress;
  $("job-stage").textContent = p
    ? `${p.stage}: ${p.done} / ${p.total} ${p.unit}${p.rate ? ` (${p.rate.toFixed(1)}/s)` : ""}`
    : job.error
      ? job.error
      : job.release
        ? `published ${job.release}`
        : (job.stages.find((s) => s.state === "running") || {}).name || "";
  $("job-progress").value = p && p.total > 0 ? p.done / p.total : job.state === "succeeded" ? 1 : 0;
  $("job-cancel").hidden = !(job.state === "running" || job.state === "queued");
  $("job-cancel").dataset.id = job.id;
}

function logLine(line) {
  const log = $("job-log");
  log.textContent = `${log.textContent}${line}\n`.split("\n").slice(-200).join("\n");
  log.scrollTop = log.scrollHeight;
}

/**
 * Follow a job over server-sent events (tRPC's jobs.watch). EventSource cannot send the key, so the
 * stream is read with fetch: blocks of "event:"/"data:" lines; plain data lines carry a JobEvent.
 */
async function watch(id) {
  watching?.abort();
  const ctl = new AbortController();
  watching = ctl;
  $("job-log").textContent = "";
  try {
    const res = await fetch(trpcUrl("jobs.watch", { id }), { headers: { authorization: `Bearer ${key()}`, accept: "text/event-stream" }, signal: ctl.signal });
    if (!res.ok || !res.body) throw new Error(`watch: HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut = buffer.indexOf("\n\n");
      while (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (event === "message" && data.length) {
          const ev = JSON.parse(data.join("\n"));
          showJob(ev.job);
          if (ev.type === "log" && ev.line) logLine(ev.line);
        } else if (event === "serialized-error") {
          const e = JSON.parse(data.join("\n") || "null");
          setStatus($("jobs-status"), (e && e.message) || "the job stream failed", true);
        }
        cut = buffer.indexOf("\n\n");
      }
    }
    void refreshJobs();
  } catch (err) {
    if (err.name !== "AbortError") setStatus($("jobs-status"), err.message, true);
  }
}

async function refreshJobs() {
  if (!key()) return;
  try {
    const { jobs } = (await api(trpcUrl("jobs.list", { limit: 8 }))).result.data;
    $("jobs-table")
      .querySelector("tbody")
      .replaceChildren(
        ...jobs.map((j) =>
          el(
            "tr",
            {},
            el("td", { text: j.id }),
            el("td", { text: j.kind }),
            el("td", { text: j.state }),
            el("td", { text: j.release || "" }),
            el("td", {}, el("button", { type: "button", "data-watch": j.id, text: "watch" })),
          ),
        ),
      );
    setStatus($("jobs-status"), jobs.length ? "" : "No jobs yet.");
    const live = jobs.find((j) => j.state === "running" || j.state === "queued");
    if (live && !watching) void watch(live.id);
  } catch (err) {
    setStatus($("jobs-status"), err.status === 403 ? "This key may not see jobs (a search key)." : err.code === "UNAVAILABLE" ? "This server runs no jobs." : err.message, err.status !== 403);
  }
}

$("jobs-table").addEventListener("click", (e) => {
  const id = e.target instanceof HTMLElement ? e.target.dataset.watch : undefined;
  if (id) void watch(id);
});
$("jobs-refresh").addEventListener("click", () => void refreshJobs());
$("retrain-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const job = (await api("/trpc/jobs.trigger", { body: { kind: "retrain", config: { preset: $("preset").value } } })).result.data;
    setStatus($("jobs-status"), `triggered ${job.id}`);
    showJob(job);
    void watch(job.id);
    void refreshJobs();
  } catch (err) {
    setStatus($("jobs-status"), err.status === 403 ? "Retraining needs an admin key." : err.message, true);
  }
});
$("job-cancel").addEventListener("click", async () => {
  try {
    showJob((await api("/trpc/jobs.cancel", { body: { id: $("job-cancel").dataset.id } })).result.data);
  } catch (err) {
    setStatus($("jobs-status"), err.message, true);
  }
});

// ---- start -----------------------------------------------------------------------------------

showKeyState();
const q = new URLSearchParams(location.search).get("q");
if (q) $("query").value = q;
if (key()) {
  void loadReleases();
  void refreshJobs();
  if (q) $("search").requestSubmit();
}
