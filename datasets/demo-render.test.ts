import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { DEMO_IMAGE_SIZE, DEMO_SHAPES, demoJitter, renderDemoPng, type DemoJitter } from "./demo-render.ts";
import { DEMO_COLOURS } from "./demo-vocab.ts";
import { createRng } from "../core/index.ts";

const still: DemoJitter = { dx: 0, dy: 0, scale: 1.1, rotate: 0, patternAngle: 0, patternScale: 1, bgHue: 200 };
const rgbOf = (key: string): string => DEMO_COLOURS.find((c) => c.key === key)?.rgb as string;

async function pixels(png: Buffer): Promise<{ data: Buffer; channels: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, channels: info.channels };
}

describe("demo images", () => {
  it("show the item's colour: a red dress has a large red region, a blue one none", async () => {
    const share = async (colour: string): Promise<number> => {
      const { data, channels } = await pixels(await renderDemoPng({ type: "dress", rgb: rgbOf(colour), pattern: "solid", jitter: still }));
      let red = 0;
      for (let i = 0; i < data.length; i += channels) {
        const [r, g, b] = [data[i] as number, data[i + 1] as number, data[i + 2] as number];
        if (r > 150 && g < 90 && b < 90) red++;
      }
      return red / (DEMO_IMAGE_SIZE * DEMO_IMAGE_SIZE);
    };
    expect(await share("red")).toBeGreaterThan(0.15);
    expect(await share("blue")).toBe(0);
  });

  it("show the pattern: striped varies inside the silhouette, solid does not", async () => {
    const variance = async (pattern: string): Promise<number> => {
      const { data, channels } = await pixels(await renderDemoPng({ type: "t-shirt", rgb: rgbOf("blue"), pattern, jitter: still }));
      // A 24×24 window in the middle of the body, well inside the outline.
      const values: number[] = [];
      for (let y = 62; y < 86; y++) for (let x = 52; x < 76; x++) values.push(data[(y * DEMO_IMAGE_SIZE + x) * channels] as number);
      const mean = values.reduce((s, v) => s + v, 0) / values.length;
      return values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    };
    expect(await variance("solid")).toBeLessThan(1);
    expect(await variance("striped")).toBeGreaterThan(1000);
  });

  it("render every silhouette, deterministically, and jitter changes the pixels", async () => {
    const rng = createRng(9);
    for (const type of DEMO_SHAPES) {
      const spec = { type, rgb: rgbOf("white"), pattern: "floral", jitter: demoJitter(rng) };
      const [x, y] = await Promise.all([renderDemoPng(spec), renderDemoPng(spec)]);
      expect(x.equals(y)).toBe(true);
      const moved = await renderDemoPng({ ...spec, jitter: { ...spec.jitter, dx: spec.jitter.dx + 3 } });
      expect(moved.equals(x)).toBe(false);
    }
  });
});
