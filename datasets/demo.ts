// The demo shop: items with hidden colour and pattern, titles that often leave them out.
import type { QueryTemplate } from "./clicks.ts";
import { demoJitter, renderDemoPng } from "./demo-render.ts";
import { DEMO_BRANDS, DEMO_COLOURS, DEMO_PATTERNS, DEMO_TYPES, TITLE_FILLER } from "./demo-vocab.ts";
import type { DemoColour, DemoPattern, DemoType } from "./demo-vocab.ts";
import { stream, type Rng } from "../core/index.ts";
import type { CatalogRow, Intent, TruthRow } from "./types.ts";

/** One generated item: its catalog row, hidden truth, and how to draw its image (absent: text-only). */
export interface GeneratedItem {
  /** Row for catalog.jsonl. */
  row: CatalogRow;
  /** Row for truth.jsonl. */
  truth: TruthRow;
  /** True attributes, brand included, for clicks and judgments. */
  intent: Intent;
  /** Produces the PNG bytes; absent for text-only items. */
  render?: () => Promise<Buffer>;
}

/** Options for the demo catalog. */
export interface DemoCatalogOptions {
  /** Dataset seed. */
  seed: number;
  /** Number of items. */
  items: number;
  /** Share of titles naming the colour, and independently the pattern. */
  titleAttrRate: number;
}

// Real catalogs have text-only items: about 2% here.
const NO_IMAGE_RATE = 0.02;

/** Up to n distinct filler phrases. */
export function pickFiller(rng: Rng, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = rng.pick(TITLE_FILLER);
    if (!out.includes(f)) out.push(f);
  }
  return out;
}

/** Price in [lo, hi] with two decimals; half end in .99 as shop prices do. */
export function seededPrice(rng: Rng, lo: number, hi: number): number {
  const x = lo + rng.next() * (hi - lo);
  return rng.chance(0.5) ? Math.floor(x) + 0.99 : Math.round(x * 100) / 100;
}

function demoTitle(rng: Rng, brand: string, gender: string | undefined, t: DemoType, c: DemoColour, p: DemoPattern, rate: number) {
  const mentionsColour = rng.chance(rate);
  const mentionsPattern = rng.chance(rate);
  const parts: string[] = [brand];
  if (rng.chance(0.5)) parts.push(...pickFiller(rng, 1));
  if (gender && rng.chance(0.6)) parts.push(gender);
  const attrs: string[] = [];
  if (mentionsColour) attrs.push(rng.pick(c.titleWords));
  if (mentionsPattern) attrs.push(rng.pick(p.titleWords));
  if (rng.chance(0.3)) attrs.reverse();
  parts.push(...attrs, rng.pick(t.titleWords), ...pickFiller(rng, rng.int(1, 3)));
  return { title: parts.join(" "), mentionsColour, mentionsPattern };
}

/** The demo catalog; item i depends only on (seed, i), so a smaller catalog is a prefix of a larger one. */
export function demoItems(opts: DemoCatalogOptions): GeneratedItem[] {
  const items: GeneratedItem[] = [];
  const patternWeights = DEMO_PATTERNS.map((p) => p.weight);
  for (let i = 0; i < opts.items; i++) {
    const rng = stream(opts.seed, `demo-item:${i}`);
    const id = `demo-${String(i + 1).padStart(6, "0")}`;
    const t = rng.pick(DEMO_TYPES);
    const c = rng.pick(DEMO_COLOURS);
    const p = rng.weighted(DEMO_PATTERNS, patternWeights);
    const brand = rng.pick(DEMO_BRANDS);
    const category = rng.pick(t.categories);
    const top = category.split(">")[0];
    const gender = top === "Women" || top === "Men" ? top : undefined;
    const { title, mentionsColour, mentionsPattern } = demoTitle(rng, brand, gender, t, c, p, opts.titleAttrRate);
    const price = seededPrice(rng, t.price[0], t.price[1]);
    const hasImage = !rng.chance(NO_IMAGE_RATE);
    // Key order is the file's column order: id, title, image, brand, category, price, attributes.
    const row: CatalogRow = { id, title, ...(hasImage ? { image: `images/${id}.png` } : {}), brand, category, price };
    if (rng.chance(0.9)) row.attributes = { material: rng.pick(t.materials) };
    const jitter = demoJitter(rng);
    const item: GeneratedItem = {
      row,
      truth: {
        id,
        type: t.key,
        colour: c.key,
        pattern: p.key,
        title_mentions_colour: mentionsColour,
        title_mentions_pattern: mentionsPattern,
        title_mentions_type: true,
      },
      intent: { type: t.key, colour: c.key, pattern: p.key, brand },
    };
    if (hasImage) item.render = () => renderDemoPng({ type: t.key, rgb: c.rgb, pattern: p.key, jitter });
    items.push(item);
  }
  return items;
}

const TYPE_BY_KEY = new Map(DEMO_TYPES.map((t) => [t.key, t]));
const COLOUR_BY_KEY = new Map(DEMO_COLOURS.map((c) => [c.key, c]));
const PATTERN_BY_KEY = new Map(DEMO_PATTERNS.map((p) => [p.key, p]));

/** Query words of an intent: canonical type, colour, pattern words and their alternatives. */
function words(intent: Intent, rng: Rng) {
  const t = TYPE_BY_KEY.get(intent.type ?? "");
  const c = COLOUR_BY_KEY.get(intent.colour ?? "");
  const p = PATTERN_BY_KEY.get(intent.pattern ?? "");
  const alt = (ws: readonly string[] | undefined): string => (ws && ws.length > 1 ? rng.pick(ws.slice(1)) : (ws?.[0] ?? ""));
  return {
    t0: t?.queryWords[0] ?? "",
    t1: alt(t?.queryWords),
    c0: c?.queryWords[0] ?? "",
    c1: alt(c?.queryWords),
    p0: p?.queryWords[0] ?? "",
    p1: alt(p?.queryWords),
    b: (intent.brand ?? "").toLowerCase(),
  };
}

/** Query templates of the demo shop, with surface variation (plural, synonyms, word order). */
export const DEMO_TEMPLATES: readonly QueryTemplate[] = [
  { name: "type", keys: ["type"], weight: 0.12, phrase: (i) => [...(TYPE_BY_KEY.get(i.type ?? "")?.queryWords ?? [])] },
  {
    name: "colour type",
    keys: ["type", "colour"],
    weight: 0.28,
    phrase: (i, rng) => {
      const w = words(i, rng);
      return [`${w.c0} ${w.t0}`, `${w.c0} ${w.t1}`, `${w.t0} ${w.c0}`, `${w.c1} ${w.t0}`];
    },
  },
  {
    name: "pattern colour type",
    keys: ["type", "colour", "pattern"],
    weight: 0.08,
    phrase: (i, rng) => {
      const w = words(i, rng);
      return [`${w.p0} ${w.c0} ${w.t0}`, `${w.p1} ${w.c0} ${w.t0}`, `${w.p0} ${w.c0} ${w.t1}`];
    },
  },
  {
    name: "colour pattern type",
    keys: ["type", "colour", "pattern"],
    weight: 0.14,
    phrase: (i, rng) => {
      const w = words(i, rng);
      return [`${w.c0} ${w.p0} ${w.t0}`, `${w.c0} ${w.p1} ${w.t0}`, `${w.t0} ${w.c0} ${w.p0}`];
    },
  },
  {
    name: "brand type",
    keys: ["type", "brand"],
    weight: 0.22,
    phrase: (i, rng) => {
      const w = words(i, rng);
      return [`${w.b} ${w.t0}`, `${w.b} ${w.t1}`, `${w.t0} ${w.b}`];
    },
  },
  {
    name: "brand colour type",
    keys: ["type", "colour", "brand"],
    weight: 0.16,
    phrase: (i, rng) => {
      const w = words(i, rng);
      return [`${w.b} ${w.c0} ${w.t0}`, `${w.c0} ${w.t0} ${w.b}`];
    },
  },
];
