// Fashion-MNIST as a shop: real Zalando product images (Debian's dataset-fashion-mnist) with
// invented brands and titles that often omit the garment type, so only the image tells.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import type { QueryTemplate } from "./clicks.ts";
import { pickFiller, seededPrice, type GeneratedItem } from "./demo.ts";
import { PNG_OPTIONS } from "./demo-render.ts";
import { DatasetError } from "./errors.ts";
import { readIdxGz } from "./idx.ts";
import { stream } from "../core/index.ts";
import type { CatalogRow } from "./types.ts";

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** One Fashion-MNIST class as a shop product type. */
interface FashionClass {
  key: string;
  label: string;
  titleWords: readonly string[];
  queryWords: readonly string[];
  category: string;
  price: readonly [number, number];
  materials: readonly string[];
}

const CLOTH = ["cotton", "polyester", "wool", "linen"];
const SHOE = ["leather", "canvas", "suede", "synthetic"];

/** The 10 classes in label order (label i = FASHION_CLASSES[i]). */
export const FASHION_CLASSES: readonly FashionClass[] = [
  { key: "t-shirt", label: "T-shirt/top", titleWords: ["T-Shirt", "Tee", "Top"], queryWords: ["t-shirt", "tee", "top", "tops"], category: "Clothing>Tops>T-Shirts", price: [7, 35], materials: CLOTH },
  { key: "trousers", label: "Trouser", titleWords: ["Trousers", "Pants"], queryWords: ["trousers", "pants", "trouser"], category: "Clothing>Trousers", price: [15, 90], materials: CLOTH },
  {
    key: "pullover",
    label: "Pullover",
    titleWords: ["Pullover", "Sweater", "Jumper"],
    queryWords: ["pullover", "sweater", "jumper"],
    category: "Clothing>Knitwear>Pullovers",
    price: [20, 110],
    materials: CLOTH,
  },
  { key: "dress", label: "Dress", titleWords: ["Dress", "Midi Dress"], queryWords: ["dress", "dresses"], category: "Clothing>Dresses", price: [18, 120], materials: CLOTH },
  { key: "coat", label: "Coat", titleWords: ["Coat", "Overcoat", "Parka"], queryWords: ["coat", "coats", "overcoat"], category: "Clothing>Coats", price: [45, 260], materials: CLOTH },
  { key: "sandal", label: "Sandal", titleWords: ["Sandals", "Slides"], queryWords: ["sandals", "sandal", "slides"], category: "Shoes>Sandals", price: [12, 80], materials: SHOE },
  { key: "shirt", label: "Shirt", titleWords: ["Shirt", "Blouse", "Button-Down Shirt"], queryWords: ["shirt", "shirts", "blouse"], category: "Clothing>Shirts", price: [12, 75], materials: CLOTH },
  { key: "sneaker", label: "Sneaker", titleWords: ["Sneakers", "Trainers"], queryWords: ["sneakers", "trainers", "sneaker"], category: "Shoes>Sneakers", price: [25, 160], materials: SHOE },
  {
    key: "bag",
    label: "Bag",
    titleWords: ["Bag", "Handbag", "Tote"],
    queryWords: ["bag", "handbag", "bags"],
    category: "Accessories>Bags",
    price: [20, 250],
    materials: ["leather", "canvas", "nylon"],
  },
  {
    key: "ankle-boot",
    label: "Ankle boot",
    titleWords: ["Ankle Boots", "Booties", "Chelsea Boots"],
    queryWords: ["ankle boots", "boots", "booties"],
    category: "Shoes>Boots",
    price: [40, 200],
    materials: SHOE,
  },
];

/** Invented brands (two multi-word, two CJK); none contains a type word. */
export const FASHION_BRANDS: readonly string[] = [
  "Nordhaven",
  "Kivi",
  "Brightwater",
  "Castellan",
  "Mira & Moss",
  "Orla Park",
  "Tessaro",
  "Wrenfield",
  "Lunet",
  "Palisade",
  "Quinta",
  "Soren Vale",
  "Arden",
  "Bellamy",
  "Hollis",
  "Isolde",
  "Jantar",
  "Kaito",
  "竹内",
  "桜井",
];

const SIDE = 28;
/** Output side: an exact 4× nearest-neighbour upscale keeps the original pixels, adds no ringing, and is cheap. */
export const FASHION_IMAGE_SIZE = 112;
const FILES = { images: "train-images-idx3-ubyte.gz", labels: "train-labels-idx1-ubyte.gz" } as const;

/** The 60k training images and labels, checked. */
export async function loadFashionMnist(dir: string): Promise<{ images: Uint8Array; labels: Uint8Array; count: number }> {
  const missing = [FILES.images, FILES.labels].filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new DatasetError(
      "FASHION_MNIST_MISSING",
      `Fashion-MNIST not found: ${existsSync(dir) ? `${missing.join(", ")} missing in ${dir}` : `${dir} does not exist`}. ` +
        "Install it with `apt-get install dataset-fashion-mnist` (or pass --source DIR with the gzipped IDX files).",
    );
  }
  const [imgBytes, lblBytes] = await Promise.all([readFile(join(dir, FILES.images)), readFile(join(dir, FILES.labels))]);
  const images = readIdxGz(imgBytes, 3, FILES.images);
  const labels = readIdxGz(lblBytes, 1, FILES.labels);
  const [count, rows, cols] = images.dims;
  if (rows !== SIDE || cols !== SIDE || count !== labels.dims[0]) {
    throw new DatasetError("FASHION_MNIST_CORRUPT", `expected N×28×28 images and N labels, got ${images.dims.join("×")} images and ${labels.dims[0]} labels in ${dir}`);
  }
  for (const l of labels.data) {
    if (l >= FASHION_CLASSES.length) throw new DatasetError("FASHION_MNIST_CORRUPT", `label ${l} out of range 0–9 in ${FILES.labels}`);
  }
  return { images: images.data, labels: labels.data, count: count ?? 0 };
}

/** Options for the fashion-mnist catalog. */
export interface FashionCatalogOptions {
  /** Dataset seed. */
  seed: number;
  /** Number of items (at most the 60k training images). */
  items: number;
  /** Share of titles naming the garment type. */
  titleAttrRate: number;
  /** Folder with the IDX files. */
  sourceDir: string;
}

/** Renders one 28×28 grayscale image as a 112×112 grayscale PNG. */
export function renderFashionPng(pixels: Uint8Array): Promise<Buffer> {
  return sharp(Buffer.from(pixels), { raw: { width: SIDE, height: SIDE, channels: 1 } })
    .resize(FASHION_IMAGE_SIZE, FASHION_IMAGE_SIZE, { kernel: "nearest" })
    .png(PNG_OPTIONS)
    .toBuffer();
}

/** The fashion-mnist catalog: a seeded sample of the training images with invented brands and titles. */
export async function fashionItems(opts: FashionCatalogOptions): Promise<GeneratedItem[]> {
  const src = await loadFashionMnist(opts.sourceDir);
  if (opts.items > src.count) {
    throw new DatasetError("BAD_OPTION", `fashion-mnist has ${src.count} training images; --items ${opts.items} is too many`);
  }
  // Partial Fisher–Yates: the first k picks do not depend on how many are taken.
  const order = new Int32Array(src.count);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const pick = stream(opts.seed, "fashion-sample");
  const items: GeneratedItem[] = [];
  for (let i = 0; i < opts.items; i++) {
    const j = i + Math.floor(pick.next() * (src.count - i));
    const src_i = order[j] as number;
    order[j] = order[i] as number;
    order[i] = src_i;
    const rng = stream(opts.seed, `fashion-item:${i}`);
    const cls = FASHION_CLASSES[src.labels[src_i] as number] as FashionClass;
    const id = `fm-${String(src_i).padStart(5, "0")}`;
    const brand = rng.pick(FASHION_BRANDS);
    const mentionsType = rng.chance(opts.titleAttrRate);
    const parts = [brand, ...pickFiller(rng, rng.int(1, 2))];
    if (mentionsType) parts.push(rng.pick(cls.titleWords));
    parts.push(...pickFiller(rng, rng.int(1, 3)));
    const row: CatalogRow = {
      id,
      title: [...new Set(parts)].join(" "),
      image: `images/${id}.png`,
      brand,
      category: cls.category,
      price: seededPrice(rng, cls.price[0], cls.price[1]),
      attributes: { material: rng.pick(cls.materials) },
    };
    const pixels = src.images.subarray(src_i * SIDE * SIDE, (src_i + 1) * SIDE * SIDE);
    items.push({
      row,
      truth: { id, type: cls.key, title_mentions_colour: false, title_mentions_pattern: false, title_mentions_type: mentionsType },
      intent: { type: cls.key, brand },
      render: () => renderFashionPng(pixels),
    });
  }
  return items;
}

/** Query templates: the type alone, or brand and type, with synonyms and word order. */
export const FASHION_TEMPLATES: readonly QueryTemplate[] = [
  { name: "type", keys: ["type"], weight: 0.55, phrase: (i) => [...(FASHION_CLASSES.find((c) => c.key === i.type)?.queryWords ?? [])] },
  {
    name: "brand type",
    keys: ["type", "brand"],
    weight: 0.45,
    phrase: (i, rng) => {
      const ws = FASHION_CLASSES.find((c) => c.key === i.type)?.queryWords ?? [];
      const b = (i.brand ?? "").toLowerCase();
      return [`${b} ${ws[0]}`, `${b} ${rng.pick(ws.slice(1))}`, `${ws[0]} ${b}`];
    },
  },
];
