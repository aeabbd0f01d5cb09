// Facet counts beside the results: brand, category and price buckets as the API counted them over
// the query's first ranked items (at most 200, the same for every page). Clicking a value fills the
// filter and searches again; clicking the value already filtered on clears it. The values also feed
// the brand and category inputs' suggestions.
import { $, el } from "./common.js";

/** The facets every search asks for. */
export const FACETS = ["brand", "category", "price"];

// Every brand and category a facet showed in this tab: suggestions for the filter inputs (a facet
// narrowed by a filter lists one value, so the lists keep what earlier searches showed).
const seen = { brand: new Set(), category: new Set() };

function suggest(facets) {
  for (const field of ["brand", "category"]) {
    for (const v of facets[field]?.values ?? []) seen[field].add(v.value);
  }
  $("brands").replaceChildren(...[...seen.brand].sort().map((b) => el("option", { value: b })));
  $("categories").replaceChildren(...[...seen.category].sort().map((c) => el("option", { value: c })));
}

/** Whether the price inputs hold exactly this bucket (min ≤ price < max). */
function priceIs(b) {
  return $("price-max").dataset.below === "1" && Number($("price-min").value) === b.gte && Number($("price-max").value) === b.lt && $("price-min").value !== "";
}

function valueButton(attrs, label, count, pressed) {
  return el(
    "li",
    {},
    el(
      "button",
      { type: "button", class: "facet", "aria-pressed": String(pressed), title: pressed ? "clear this filter" : "filter on this and search again", ...attrs },
      el("span", { text: label }),
      el("span", { class: "count", text: String(count) }),
    ),
  );
}

function textFacet(field, t) {
  const current = $(field).value.trim();
  const notes = [t.other ? `${t.other} in other ${field === "brand" ? "brands" : "categories"}` : "", t.missing ? `${t.missing} without a ${field}` : ""].filter(Boolean);
  return el(
    "section",
    { "data-facet": field },
    el("h3", { text: field }),
    t.values.length
      ? el(
          "ul",
          {},
          t.values.map((v) => valueButton({ "data-field": field, "data-value": v.value }, v.value, v.count, current === v.value)),
        )
      : el("p", { class: "muted small", text: "no values" }),
    notes.length ? el("p", { class: "muted small", text: notes.join(" · ") }) : null,
  );
}

function priceFacet(p) {
  return el(
    "section",
    { "data-facet": "price" },
    el("h3", { text: "price", title: "each bucket: lower edge ≤ price < upper edge" }),
    p.buckets.length
      ? el(
          "ul",
          {},
          p.buckets.filter((b) => b.count > 0).map((b) => valueButton({ "data-field": "price", "data-gte": b.gte, "data-lt": b.lt }, `${b.gte} – ${b.lt}`, b.count, priceIs(b))),
        )
      : el("p", { class: "muted small", text: "no prices" }),
    p.missing ? el("p", { class: "muted small", text: `${p.missing} without a price` }) : null,
  );
}

/**
 * Show a retrieve's facets (or hide the panel: no facets, or not a query's page). `relaxed`: the
 * ranking holds items found only after relaxing the query's constraints (they are counted too).
 */
export function showFacets(facets, relaxed = false) {
  const box = $("facets");
  if (!facets) {
    box.hidden = true;
    return;
  }
  suggest(facets);
  // Honest about what was counted: the ranking's first items, not the catalog nor only this page.
  const n = facets.counted;
  const over = n >= 200 ? `this query's first ${n} ranked items; items ranked lower are not counted` : `the ${n} item${n === 1 ? "" : "s"} this query ranks`;
  const note = `Counts over ${over}${relaxed ? ", those found only after relaxing included" : ""} — the same on every page.`;
  box.replaceChildren(
    el("h2", { text: "Refine" }),
    el("p", { class: "muted small", id: "facets-note", text: note }),
    facets.brand ? textFacet("brand", facets.brand) : null,
    facets.category ? textFacet("category", facets.category) : null,
    facets.price ? priceFacet(facets.price) : null,
  );
  box.hidden = false;
}

/** Whether the price max is a bucket's exclusive upper edge ("below", sent as lt) or typed (≤, sent as lte). */
function setBelow(below) {
  const max = $("price-max");
  if (below) {
    max.dataset.below = "1";
    max.title = "below this price (a price bucket's upper edge)";
  } else {
    delete max.dataset.below;
    max.removeAttribute("title");
  }
}

/** Clicking a facet value fills (or clears) its filter, then `search()` runs the form again. */
export function onFacetClick(search) {
  $("facets").addEventListener("click", (e) => {
    const b = e.target instanceof Element ? e.target.closest("button.facet") : null;
    if (!b) return;
    const clear = b.getAttribute("aria-pressed") === "true";
    if (b.dataset.field === "price") {
      $("price-min").value = clear ? "" : b.dataset.gte;
      $("price-max").value = clear ? "" : b.dataset.lt;
      // A bucket's upper edge is exclusive: the max then means "below" (sent as lt), until edited.
      setBelow(!clear);
    } else {
      $(b.dataset.field).value = clear ? "" : b.dataset.value;
    }
    search();
  });
  // Typing a max makes it inclusive again (≤), as the field reads.
  $("price-max").addEventListener("input", () => setBelow(false));
}
