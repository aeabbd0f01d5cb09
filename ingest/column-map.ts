// Catalog column mapping: shops export catalogs with their platform's column names (Shopify's
// Handle/Title/Vendor/Image Src, WooCommerce's ID/Name/Regular price/Images). A map renames those
// columns to Vitrine's fields before validation, given by hand (`--map id=Handle,title=Title`) or
// as a preset (`--columns shopify`).
import { ImportError } from "./errors.ts";

/** The catalog fields a column can be mapped to. */
export const CATALOG_FIELDS = ["id", "title", "image", "brand", "category", "price", "attributes"] as const;
/** One catalog field. */
export type CatalogField = (typeof CATALOG_FIELDS)[number];

/** Catalog field → the source column that holds it; `firstOfList` fields keep the first of a comma-separated list. */
export interface ColumnMap {
  /** Source column per field. */
  columns: Partial<Record<CatalogField, string>>;
  /** Fields whose cells list several values ("url1, url2"): the first is kept. */
  firstOfList?: CatalogField[];
}

/** Column maps of common shop platforms' product exports. */
export const COLUMN_PRESETS: Record<string, ColumnMap> = {
  // Shopify's products_export.csv: one row per variant/image; continuation rows repeat Handle with an empty Title.
  shopify: { columns: { id: "Handle", title: "Title", brand: "Vendor", category: "Type", price: "Variant Price", image: "Image Src" } },
  // WooCommerce's product CSV exporter: Images and Categories list several values.
  woocommerce: { columns: { id: "ID", title: "Name", brand: "Brands", category: "Categories", price: "Regular price", image: "Images" }, firstOfList: ["image", "category"] },
};

/** Parse `--map field=Column,field=Column` (columns may hold spaces); fails naming the bad part. */
export function parseColumnMap(spec: string): ColumnMap {
  const columns: ColumnMap["columns"] = {};
  for (const part of spec
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf("=");
    const field = part.slice(0, eq).trim();
    const column = part.slice(eq + 1).trim();
    if (eq < 1 || column === "") throw new ImportError("BAD_OPTION", `--map: "${part}" is not field=Column; e.g. --map id=Handle,title=Title`);
    if (!(CATALOG_FIELDS as readonly string[]).includes(field)) {
      throw new ImportError("BAD_OPTION", `--map: unknown field "${field}"; map one of ${CATALOG_FIELDS.join(", ")}`);
    }
    columns[field as CatalogField] = column;
  }
  if (Object.keys(columns).length === 0) throw new ImportError("BAD_OPTION", "--map is empty; e.g. --map id=Handle,title=Title");
  return { columns };
}

/** A preset by name, or a BAD_OPTION error listing the presets. */
export function columnPreset(name: string): ColumnMap {
  const preset = COLUMN_PRESETS[name];
  if (!preset) throw new ImportError("BAD_OPTION", `--columns: unknown preset "${name}"; use ${Object.keys(COLUMN_PRESETS).join(" or ")} (or --map field=Column,...)`);
  return preset;
}

/** Rename a row's mapped source columns to their fields; other columns pass through unchanged. */
export function applyColumnMap<V>(row: Record<string, V>, map: ColumnMap): Record<string, V> {
  const sources = new Set(Object.values(map.columns));
  const out: Record<string, V> = {};
  for (const [k, v] of Object.entries(row)) if (!sources.has(k)) out[k] = v;
  for (const [field, column] of Object.entries(map.columns) as [CatalogField, string][]) {
    const v = row[column];
    if (v === undefined) continue;
    out[field] = typeof v === "string" && map.firstOfList?.includes(field) ? ((v.split(",")[0] ?? "").trim() as V) : v;
  }
  return out;
}

/** A hint for a catalog whose columns look like a known platform's export, or "". */
export function presetHint(columns: Iterable<string>): string {
  const have = new Set(columns);
  for (const [name, preset] of Object.entries(COLUMN_PRESETS)) {
    const needed = [preset.columns.id!, preset.columns.title!];
    if (needed.every((c) => have.has(c))) return `; these look like a ${name} export: add --columns ${name}`;
  }
  return "";
}
