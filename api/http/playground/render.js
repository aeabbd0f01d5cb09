// How the playground shows what the API answers: filter expressions as text, timings, and the
// result cards (image, score, how the item was found, a "more like this" button).
import { el } from "./common.js";

/** A filter expression as text: brand = "Acme" AND price ≤ 80. */
export function exprText(e) {
  if (!e) return "none";
  const v = (x) => JSON.stringify(x);
  switch (e.op) {
    case "eq":
      return `${e.field} = ${v(e.value)}`;
    case "in":
      return `${e.field} in [${e.values.map(v).join(", ")}]`;
    case "range":
      return [
        e.gte !== undefined && `${e.field} ≥ ${e.gte}`,
        e.gt !== undefined && `${e.field} > ${e.gt}`,
        e.lte !== undefined && `${e.field} ≤ ${e.lte}`,
        e.lt !== undefined && `${e.field} < ${e.lt}`,
      ]
        .filter(Boolean)
        .join(" AND ");
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

/** The server's per-stage timings and the round trip the page measured, as one line. */
export function timingsText(timings, ms) {
  const stages = Object.entries(timings).map(([k, v]) => `${k} ${Number(v).toFixed(2)} ms`);
  return [...stages, `round trip ${ms.toFixed(0)} ms`].join(" · ");
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

/**
 * One result card. `rank` numbers it; `source` marks the item a "more like this" list is about
 * (shown first, without a score: its score belonged to the query's ranking).
 */
export function card(item, rank, source = false) {
  const img = item.image ? el("img", { src: thumb(item.image), alt: item.title }) : el("div", { class: "noimg", text: "no image" });
  const channels =
    item.channels && !source
      ? `vector ${item.channels.vector === null ? "–" : item.channels.vector.toFixed(3)} · lexical ${item.channels.lexical === null ? "–" : item.channels.lexical.toFixed(3)}`
      : null;
  const price = item.price === null ? "" : String(item.price);
  return el(
    "article",
    { class: `card${item.relaxed && !source ? " relaxed" : ""}${source ? " source" : ""}`, "data-id": item.id, "data-brand": item.brand, "data-category": item.category, "data-price": item.price },
    img,
    el("div", { class: "title", text: source ? item.title : `${rank}. ${item.title}` }),
    el("div", { class: "muted", text: [item.brand, item.category].filter(Boolean).join(" · ") || "—" }),
    source ? el("div", {}, price) : el("div", {}, price ? `${price} · ` : "", el("span", { class: "score", text: `score ${item.score.toFixed(4)}` })),
    source
      ? el("div", {}, el("span", { class: "badge ok", text: "source item" }))
      : el("div", {}, el("span", { class: "badge", text: item.source }), item.relaxed ? el("span", { class: "badge warn", text: "relaxed" }) : null),
    channels ? el("div", { class: "muted small", text: channels }) : null,
    source
      ? null
      : el(
          "div",
          { class: "actions" },
          el("button", { type: "button", class: "more-like", "data-similar": item.id, title: "items near this one in the item-embedding space", text: "more like this" }),
        ),
  );
}
