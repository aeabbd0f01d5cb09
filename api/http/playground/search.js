// The search panel: the query form, a page of the ranking (summary, facet counts, image grid), pages
// walked with the answer's cursor, and "more like this" from any card (the item's neighbours in the
// item-embedding space, with a way back to the query's page).
import { $, api, el, key, setStatus } from "./common.js";
import { FACETS, onFacetClick, showFacets } from "./facets.js";
import { card, exprText, timingsText } from "./render.js";

/** The filters, k and release the form holds (similar takes the same three). */
function fromForm() {
  const filters = {};
  const brand = $("brand").value.trim();
  const category = $("category").value.trim();
  if (brand) filters.brand = brand;
  if (category) filters.category = category;
  const price = {};
  if ($("price-min").value !== "") price.gte = Number($("price-min").value);
  // A max filled from a price bucket is that bucket's exclusive upper edge (facets.js).
  if ($("price-max").value !== "") price[$("price-max").dataset.below === "1" ? "lt" : "lte"] = Number($("price-max").value);
  if (Object.keys(price).length) filters.price = price;
  const out = { k: Number($("k").value) || 24 };
  if (Object.keys(filters).length) out.filters = filters;
  if ($("release").value) out.release = $("release").value;
  return out;
}

/** The retrieve request of the form (no page: that comes from the cursor). */
function request() {
  const { k, filters, release } = fromForm();
  return { query: $("query").value, k, understand: $("understand").checked, relax: $("relax").checked, ...(filters ? { filters } : {}), ...(release ? { release } : {}) };
}

/** What the grid shows and how to walk on from it. */
const view = {
  /** The request of the ranking being paged, as the form was when it was submitted (a cursor only continues the same ranking). */
  req: null,
  /** cursors[i]: the cursor of page i + 1 (none for the first page). */
  cursors: [],
  /** Index of the page shown. */
  page: 0,
  /** The page's answer and round trip, kept to come back to from "more like this". */
  result: null,
  ms: 0,
  /** The items on the grid by id: the source of a "more like this". */
  items: new Map(),
};

function showGrid(cards, items) {
  view.items = new Map(items.map((it) => [it.id, it]));
  $("results").replaceChildren(...cards);
}

function showSummary(rows, lead = []) {
  $("summary").replaceChildren(
    ...lead,
    el(
      "dl",
      {},
      rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", {}, v)]),
    ),
  );
  $("summary").hidden = false;
}

function querySummary(r, ms) {
  const c = r.constraints;
  const chips = (list, cls) => (list.length ? list.map((x) => el("span", { class: `badge ${cls}`, text: `${x.field} = ${x.value} (“${x.term}”)` })) : [el("span", { class: "muted", text: "none" })]);
  const relaxed = r.items.filter((i) => i.relaxed).length;
  showSummary([
    ["served by", [el("span", { class: "badge ok", id: "path", text: r.path }), ` release ${r.release}`]],
    ["channels", r.channels.length ? r.channels.join(" + ") : "precomputed list only"],
    ["blend", r.blend ? `${r.blend.method}, vector weight ${r.blend.weight}` : "—"],
    ["query terms", [el("code", { text: r.terms }), ` (qid ${r.qid})`]],
    ["from the query", chips(c.fromQuery, "")],
    ["from your filters", exprText(c.fromCaller)],
    ["applied", el("code", { id: "applied", text: exprText(c.applied) })],
    ["relaxed", chips(c.relaxed, "warn")],
    ["items", `${r.items.length}${r.items.length ? ` (ranks ${r.offset + 1}–${r.offset + r.items.length})` : ""}${relaxed ? ` (${relaxed} only after relaxing)` : ""}`],
    ["timings", timingsText(r.timings, ms)],
  ]);
}

function showPager(r) {
  const next = $("next-page");
  $("pager").hidden = view.page === 0 && !r.more;
  $("prev-page").disabled = view.page === 0;
  next.disabled = !r.nextCursor;
  // More items than the server's result window lets a page reach: say why there is no next page.
  next.title = r.more && !r.nextCursor ? "the next page is past the server's result window: narrow the query with filters" : "";
  $("page-number").textContent = `page ${view.page + 1}`;
}

/** Show a query's page: summary, facets, cards numbered by rank, the pager. */
function showPage(r, ms) {
  view.result = r;
  view.ms = ms;
  querySummary(r, ms);
  showFacets(r.facets, r.constraints.relaxed.length > 0);
  showGrid(
    r.items.map((it, i) => card(it, r.offset + i + 1)),
    r.items,
  );
  showPager(r);
  setStatus($("status"), r.items.length ? "" : view.page > 0 ? "No items on this page." : "No items: loosen the filters or switch relax on.");
}

let inFlight = null;

/** POST to the API with the status line saying what runs; the previous call is abandoned. Null when this one was. */
async function call(path, body, doing) {
  if (!key()) {
    setStatus($("status"), "Enter an API key first (a read or search key is enough to search).", true);
    return null;
  }
  inFlight?.abort();
  const ctl = new AbortController();
  inFlight = ctl;
  setStatus($("status"), doing);
  const started = performance.now();
  try {
    const r = await api(path, { body, signal: ctl.signal });
    return { r, ms: performance.now() - started };
  } catch (err) {
    if (err.name !== "AbortError") setStatus($("status"), `${err.code ? `${err.code}: ` : ""}${err.message}`, true);
    return null;
  }
}

/** Fetch page `page` (0-based) of the current ranking, facets included. */
async function loadPage(page) {
  const body = { ...view.req, facets: FACETS, ...(view.cursors[page] ? { cursor: view.cursors[page] } : {}) };
  const got = await call("/v1/retrieve", body, page === 0 ? "searching…" : `loading page ${page + 1}…`);
  if (!got) return;
  view.page = page;
  view.cursors.length = page + 1;
  if (got.r.nextCursor) view.cursors.push(got.r.nextCursor);
  showPage(got.r, got.ms);
}

$("search").addEventListener("submit", (e) => {
  e.preventDefault();
  view.req = request();
  view.cursors = [undefined];
  history.replaceState(null, "", `?q=${encodeURIComponent($("query").value)}`);
  void loadPage(0);
});
$("prev-page").addEventListener("click", () => {
  if (view.page > 0) void loadPage(view.page - 1);
});
$("next-page").addEventListener("click", () => {
  if (view.cursors[view.page + 1]) void loadPage(view.page + 1);
});
onFacetClick(() => $("search").requestSubmit());

/** "More like this": the item's neighbours under the form's k, filters and release; the item first. */
async function showSimilar(id) {
  const source = view.items.get(id);
  if (!source) return;
  const { k, filters, release } = fromForm();
  const got = await call("/v1/similar", { id, k, ...(filters ? { filters } : {}), ...(release ? { release } : {}) }, "finding similar items…");
  if (!got) return;
  const { r, ms } = got;
  const back = el("button", { type: "button", id: "back-to-results", text: `← back to the results for “${view.req.query}”` });
  back.addEventListener("click", () => {
    inFlight?.abort();
    showPage(view.result, view.ms);
  });
  showSummary(
    [
      ["how", "the item's own vector in the release's item-embedding space; the item itself left out"],
      ["release", r.release],
      ["filters", el("code", { id: "similar-filters", text: exprText(r.filters) })],
      ["items", String(r.items.length)],
      ["timings", timingsText(r.timings, ms)],
    ],
    [el("div", { class: "row lead" }, back, el("span", { id: "similar-to", text: `similar to “${source.title}”` }))],
  );
  showFacets(null);
  $("pager").hidden = true;
  showGrid([card(source, 0, true), ...r.items.map((it, i) => card(it, i + 1))], [source, ...r.items]);
  setStatus($("status"), r.items.length ? "" : "No similar items under these filters.");
}

$("results").addEventListener("click", (e) => {
  const id = e.target instanceof Element ? e.target.closest("button.more-like")?.dataset.similar : undefined;
  if (id) void showSimilar(id);
});

/** Fill the release picker (a search key may not list releases: the active one answers then). */
export async function loadReleases() {
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
