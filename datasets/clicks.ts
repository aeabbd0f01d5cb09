// Query, click and judgment generation shared by both datasets: one intent distribution,
// independent RNG streams for the training and the held-out log.
import { canonicalTerms, pairHeldOut, stream, type Rng } from "../core/index.ts";
import type { ClickRow, Intent, JudgmentRow, QueryRow } from "./types.ts";

/** A query template: which intent attributes it fills and how it is phrased. */
export interface QueryTemplate {
  /** Template name recorded in queries.jsonl, e.g. "colour type". */
  name: string;
  /** Intent attributes the template asks for. */
  keys: readonly (keyof Intent)[];
  /** Share of sessions that use this template. */
  weight: number;
  /** Surface forms of one intent, canonical first (plural, word order, synonyms after). */
  phrase(intent: Intent, rng: Rng): string[];
}

/** An item as the click model sees it. */
export interface ClickItem {
  /** Catalog id. */
  id: string;
  /** True attributes (type, colour, pattern, brand). */
  truth: Intent;
}

/** Options for generating the click logs. */
export interface ClickOptions {
  /** Dataset seed. */
  seed: number;
  /** Rows sampled over the first 80 days. */
  trainRows: number;
  /** Rows sampled over the last 10 days; then all rows are split by (query, item) pair in this proportion. */
  evalRows: number;
  /** Query templates. */
  templates: readonly QueryTemplate[];
}

/** Everything the click model produces. */
export interface ClickOutput {
  /** Training click log. */
  train: ClickRow[];
  /** Held-out click log: every row of the held-out (query, item) pairs. */
  eval: ClickRow[];
  /** Every distinct query used, sorted. */
  queries: QueryRow[];
  /** Ground truth for every distinct eval query. */
  judgments: JudgmentRow[];
}

/** One query string family: an intent, its phrasings and the items that match it. */
interface Entry {
  template: string;
  intent: Intent;
  variants: string[];
  members: number[];
  memberCum?: Float64Array;
}

const EPOCH_MS = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
const INTENT_KEYS: readonly (keyof Intent)[] = ["type", "colour", "pattern", "brand"];
// Sessions use the canonical phrasing most; variants get the long tail.
const VARIANT_WEIGHTS = [8, 3, 2, 1, 1, 1];

/** Intent with only the template's keys, in a fixed key order (stable JSON). */
function projectIntent(truth: Intent, keys: readonly (keyof Intent)[]): Intent | undefined {
  const out: Intent = {};
  for (const k of INTENT_KEYS) {
    if (!keys.includes(k)) continue;
    const v = truth[k];
    if (v === undefined) return undefined;
    out[k] = v;
  }
  return out;
}

/** Whether an item's truth has every attribute of the intent. */
export function matchesIntent(truth: Intent, intent: Intent): boolean {
  for (const k of INTENT_KEYS) {
    const v = intent[k];
    if (v !== undefined && truth[k] !== v) return false;
  }
  return true;
}

/** Index of the first cumulative weight above r (binary search). */
function searchCum(cum: Float64Array, r: number): number {
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cum[mid] as number) > r) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Groups items by each template's intent; intents no item matches never appear. */
function buildEntries(items: readonly ClickItem[], opts: ClickOptions): { entries: Entry[]; weights: number[] } {
  const qrng = stream(opts.seed, "queries");
  const prng = stream(opts.seed, "query-popularity");
  const owner = new Map<string, Entry>();
  const entries: Entry[] = [];
  const weights: number[] = [];
  for (const template of opts.templates) {
    const groups = new Map<string, Entry>();
    items.forEach((item, index) => {
      const intent = projectIntent(item.truth, template.keys);
      if (!intent) return;
      const key = JSON.stringify(intent);
      let g = groups.get(key);
      if (!g) {
        g = { template: template.name, intent, variants: [], members: [] };
        groups.set(key, g);
      }
      g.members.push(index);
    });
    const sorted = [...groups.keys()].sort().map((k) => groups.get(k) as Entry);
    const kept: Entry[] = [];
    for (const g of sorted) {
      // A phrasing already claimed by another intent would make the query ambiguous: drop it.
      for (const v of template.phrase(g.intent, qrng)) {
        if (owner.has(v)) continue;
        owner.set(v, g);
        g.variants.push(v);
      }
      if (g.variants.length > 0) kept.push(g);
    }
    // Zipf popularity over the template's intents: a few head queries, a long tail.
    const ranked = prng.shuffle(kept);
    let norm = 0;
    for (let r = 0; r < ranked.length; r++) norm += 1 / (r + 1);
    ranked.forEach((g, r) => {
      entries.push(g);
      weights.push((template.weight * (1 / (r + 1))) / norm);
    });
  }
  return { entries, weights };
}

/** Samples sessions until `rows` click rows exist, dated within [dayLo, dayHi) after the epoch. */
function sampleSessions(rng: Rng, items: readonly ClickItem[], entries: readonly Entry[], entryCum: Float64Array, itemWeight: Float64Array, rows: number, dayLo: number, dayHi: number): ClickRow[] {
  const out: ClickRow[] = [];
  const total = entryCum[entryCum.length - 1] ?? 0;
  while (out.length < rows && total > 0) {
    const entry = entries[searchCum(entryCum, rng.next() * total)] as Entry;
    const query = rng.weighted(entry.variants, VARIANT_WEIGHTS.slice(0, entry.variants.length));
    if (!entry.memberCum) {
      const cum = new Float64Array(entry.members.length);
      let acc = 0;
      entry.members.forEach((m, i) => {
        acc += itemWeight[m] as number;
        cum[i] = acc;
      });
      entry.memberCum = cum;
    }
    const cum = entry.memberCum;
    const memberTotal = cum[cum.length - 1] as number;
    let want = 1;
    while (want < 5 && rng.chance(0.45)) want++;
    want = Math.min(want, entry.members.length);
    const picked: number[] = [];
    for (let tries = 0; picked.length < want && tries < want * 6; tries++) {
      const m = entry.members[searchCum(cum, rng.next() * memberTotal)] as number;
      if (!picked.includes(m)) picked.push(m);
    }
    let t = EPOCH_MS + Math.floor((dayLo + rng.next() * (dayHi - dayLo)) * DAY_MS);
    for (const m of picked) {
      t += rng.int(5, 180) * 1000;
      const clicks = rng.chance(0.25) ? rng.int(2, 4) : 1;
      const purchased = rng.chance(clicks > 1 ? 0.12 : 0.05);
      const id = (items[m] as ClickItem).id;
      const ts = new Date(t).toISOString();
      out.push(purchased ? { query, item_id: id, clicks, purchases: 1, ts } : { query, item_id: id, clicks, ts });
    }
  }
  out.length = Math.min(out.length, rows);
  // Sorting by time makes the log look like a log; sort is stable so ties keep sample order.
  return out.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
}

/** Training and held-out click logs, the distinct queries, and judgments for the eval queries. */
export function generateClicks(items: readonly ClickItem[], opts: ClickOptions): ClickOutput {
  const { entries, weights } = buildEntries(items, opts);
  const entryCum = new Float64Array(weights.length);
  let acc = 0;
  weights.forEach((w, i) => {
    acc += w;
    entryCum[i] = acc;
  });
  // Item popularity: a seeded rank per item, Zipf-skewed, shared by both logs.
  const order = stream(opts.seed, "item-popularity").shuffle(items.map((_, i) => i));
  const itemWeight = new Float64Array(items.length);
  order.forEach((item, rank) => {
    itemWeight[item] = 1 / Math.pow(rank + 1, 0.8);
  });
  const early = sampleSessions(stream(opts.seed, "clicks-train"), items, entries, entryCum, itemWeight, opts.trainRows, 0, 80);
  const late = sampleSessions(stream(opts.seed, "clicks-eval"), items, entries, entryCum, itemWeight, opts.evalRows, 80, 90);
  // Held out by (query, item) pair, as import's default split: no held-out pair occurs in the
  // training log, so the eval measures generalisation rather than memory (DESIGN §8).
  const fraction = opts.evalRows / Math.max(1, opts.trainRows + opts.evalRows);
  const train: ClickRow[] = [];
  const evalLog: ClickRow[] = [];
  for (const r of [...early, ...late]) (pairHeldOut(canonicalTerms(r.query), r.item_id, opts.seed, fraction) ? evalLog : train).push(r);

  const byQuery = new Map<string, Entry>();
  for (const e of entries) for (const v of e.variants) byQuery.set(v, e);
  const used = new Set<string>();
  for (const r of train) used.add(r.query);
  for (const r of evalLog) used.add(r.query);
  const queries: QueryRow[] = [...used].sort().map((q) => {
    const e = byQuery.get(q) as Entry;
    return { query: q, intent: e.intent, template: e.template };
  });
  const judgments: JudgmentRow[] = [];
  for (const q of [...new Set(evalLog.map((r) => r.query))].sort()) {
    const e = byQuery.get(q) as Entry;
    for (const m of e.members) judgments.push({ query: q, item_id: (items[m] as ClickItem).id, grade: 1 });
  }
  return { train, eval: evalLog, queries, judgments };
}
