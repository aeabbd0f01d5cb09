// Demo product images: a type's silhouette filled with a colour and a pattern, drawn as SVG
// and rendered by sharp. Seeded jitter keeps two items with the same attributes apart.
import sharp from "sharp";
import type { Rng } from "../core/index.ts";

/** What one demo image shows. */
export interface DemoImageSpec {
  /** Type key (see DEMO_TYPES). */
  type: string;
  /** Garment colour, #rrggbb. */
  rgb: string;
  /** Pattern key (see DEMO_PATTERNS). */
  pattern: string;
  /** Per-item jitter; see demoJitter. */
  jitter: DemoJitter;
}

/** Small per-item variation of pose, size, pattern and backdrop. */
export interface DemoJitter {
  /** Horizontal / vertical offset in pixels. */
  dx: number;
  dy: number;
  /** Scale of the 100-unit silhouette frame (≈1.1 fills the 128 px canvas). */
  scale: number;
  /** Rotation in degrees. */
  rotate: number;
  /** Pattern rotation in degrees and tile scale. */
  patternAngle: number;
  patternScale: number;
  /** Backdrop hue in degrees. */
  bgHue: number;
}

/** Image side in pixels. */
export const DEMO_IMAGE_SIZE = 128;

// Silhouettes in a 100×100 frame: `fill` parts take the pattern, `lines` are details drawn on top.
const SHAPES: Record<string, { fill: string[]; lines?: string[] }> = {
  "t-shirt": { fill: ["M32,14 L42,10 Q50,19 58,10 L68,14 L90,30 L80,44 L70,37 L70,90 L30,90 L30,37 L20,44 L10,30 Z"] },
  dress: { fill: ["M40,6 L44,6 L45,22 L55,22 L56,6 L60,6 L61,30 L58,40 L86,93 L14,93 L42,40 L39,30 Z"], lines: ["M42,40 L58,40"] },
  trousers: { fill: ["M30,6 L70,6 L77,94 L57,94 L50,34 L43,94 L23,94 Z"], lines: ["M30,13 L70,13"] },
  skirt: { fill: ["M34,22 L66,22 L84,82 L16,82 Z"], lines: ["M34,29 L66,29"] },
  sneaker: { fill: ["M8,52 L12,36 L28,38 Q40,42 50,34 L60,38 Q78,50 92,58 L94,70 L8,70 Z"], lines: ["M8,70 L94,70 L94,78 L8,78 Z", "M30,44 L40,40 M34,50 L44,45"] },
  handbag: { fill: ["M16,40 L84,40 L90,90 L10,90 Z"], lines: ["M34,40 Q34,14 50,14 Q66,14 66,40", "M16,52 L84,52"] },
  hat: { fill: ["M24,60 Q24,24 50,24 Q76,24 76,60 Z", "M6,64 Q50,50 94,64 Q50,78 6,64 Z"], lines: ["M25,54 Q50,48 75,54"] },
  jacket: { fill: ["M32,10 L44,8 L50,20 L56,8 L68,10 L90,28 L94,84 L80,86 L75,42 L74,94 L26,94 L25,42 L20,86 L6,84 L10,28 Z"], lines: ["M50,20 L50,94"] },
};

/** Known silhouettes, for validation and tests. */
export const DEMO_SHAPES: readonly string[] = Object.keys(SHAPES);

/** Seeded jitter for one item. */
export function demoJitter(rng: Rng): DemoJitter {
  const r = (lo: number, hi: number): number => Math.round((lo + rng.next() * (hi - lo)) * 100) / 100;
  return {
    dx: r(-6, 6),
    dy: r(-6, 6),
    scale: r(0.98, 1.14),
    rotate: r(-9, 9),
    patternAngle: r(-20, 20),
    patternScale: r(0.85, 1.25),
    bgHue: Math.floor(rng.next() * 360),
  };
}

function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Pale backdrop of the given hue (HSL with fixed low saturation and high lightness). */
function backdrop(hue: number): string {
  const s = 0.28;
  const l = 0.86;
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((hue / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = hue < 60 ? [c, x, 0] : hue < 120 ? [x, c, 0] : hue < 180 ? [0, c, x] : hue < 240 ? [0, x, c] : hue < 300 ? [x, 0, c] : [c, 0, x];
  const hex = (v: number): string =>
    Math.round((v + m) * 255)
      .toString(16)
      .padStart(2, "0");
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}

/** Pattern tile: base colour plus marks that contrast with it (dark on light colours, white on dark). */
function patternDef(pattern: string, rgb: string, j: DemoJitter): string {
  const [r, g, b] = hexToRgb(rgb);
  const light = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255 > 0.6;
  const mark = light ? "#2b2b2b" : "#ffffff";
  const open = (w: number, h: number): string =>
    `<pattern id="p" patternUnits="userSpaceOnUse" width="${w}" height="${h}" patternTransform="rotate(${j.patternAngle}) scale(${j.patternScale})"><rect width="${w}" height="${h}" fill="${rgb}"/>`;
  switch (pattern) {
    case "striped":
      return `${open(10, 10)}<rect width="10" height="4" fill="${mark}"/></pattern>`;
    case "dotted":
      return `${open(9, 9)}<circle cx="4.5" cy="4.5" r="2.2" fill="${mark}"/></pattern>`;
    case "checked":
      return `${open(12, 12)}<rect width="12" height="6" fill="${mark}" fill-opacity="0.45"/><rect width="6" height="12" fill="${mark}" fill-opacity="0.45"/></pattern>`;
    case "floral": {
      const petals = [0, 72, 144, 216, 288]
        .map((a) => {
          const rad = (a * Math.PI) / 180;
          return `<circle cx="${(8 + 3 * Math.cos(rad)).toFixed(2)}" cy="${(8 + 3 * Math.sin(rad)).toFixed(2)}" r="2" fill="${mark}"/>`;
        })
        .join("");
      return `${open(16, 16)}${petals}<circle cx="8" cy="8" r="1.4" fill="${light ? "#f2d027" : "#ffd54f"}"/></pattern>`;
    }
    default:
      return `${open(10, 10)}</pattern>`;
  }
}

/** The SVG source of one demo image. */
export function demoSvg(spec: DemoImageSpec): string {
  const shape = SHAPES[spec.type];
  if (!shape) throw new RangeError(`no silhouette for type "${spec.type}"`);
  const j = spec.jitter;
  const size = DEMO_IMAGE_SIZE;
  const paths = shape.fill.map((d) => `<path d="${d}"/>`).join("");
  const lines = (shape.lines ?? []).map((d) => `<path d="${d}"/>`).join("");
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}">` +
    `<defs>${patternDef(spec.pattern, spec.rgb, j)}<clipPath id="c">${paths}</clipPath></defs>` +
    `<rect width="${size}" height="${size}" fill="${backdrop(j.bgHue)}"/>` +
    `<g transform="translate(${size / 2 + j.dx} ${size / 2 + j.dy}) rotate(${j.rotate}) scale(${j.scale}) translate(-50 -50)">` +
    `<rect width="100" height="100" fill="url(#p)" clip-path="url(#c)"/>` +
    // A dark outline keeps white and grey items visible on the pale backdrop.
    `<g fill="none" stroke="#222222" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round">${paths}${lines}</g>` +
    `</g></svg>`
  );
}

/** Fixed PNG settings: sharp's output is then a pure function of the pixels (no metadata kept). */
export const PNG_OPTIONS = { compressionLevel: 6, adaptiveFiltering: false, palette: false } as const;

/** Renders one demo image to an RGB PNG. */
export async function renderDemoPng(spec: DemoImageSpec): Promise<Buffer> {
  return sharp(Buffer.from(demoSvg(spec)))
    .removeAlpha()
    .png(PNG_OPTIONS)
    .toBuffer();
}
