import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeThumbnail } from "./decode-thumbnail.ts";
import { noiseImage, pixel, solidImage } from "./test-fixtures.ts";

const RED = { r: 255, g: 0, b: 0 };

function near(actual: number[], expected: number[], tolerance: number): void {
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(tolerance));
}

describe("decodeThumbnail", () => {
  it.each([
    ["png", 128, 128],
    ["png", 300, 100],
    ["jpeg", 90, 270],
    ["jpeg", 33, 17],
  ] as const)("decodes a %s of %ix%i into size*size*3 RGB", async (format, width, height) => {
    const thumb = await decodeThumbnail(await solidImage(width, height, RED, format), 64);
    expect(thumb).toBeInstanceOf(Uint8Array);
    expect(thumb.length).toBe(64 * 64 * 3);
    near(pixel(thumb, 64, 32, 32), [255, 0, 0], format === "jpeg" ? 12 : 0);
  });

  it("keeps the aspect ratio: a wide image is padded with white above and below", async () => {
    const thumb = await decodeThumbnail(await solidImage(400, 100, RED), 64);
    expect(pixel(thumb, 64, 32, 1)).toEqual([255, 255, 255]);
    expect(pixel(thumb, 64, 32, 62)).toEqual([255, 255, 255]);
    expect(pixel(thumb, 64, 1, 32)).toEqual([255, 0, 0]);
    expect(pixel(thumb, 64, 62, 32)).toEqual([255, 0, 0]);
  });

  it("turns grayscale into RGB and flattens alpha on white", async () => {
    const grey = await sharp({ create: { width: 40, height: 40, channels: 3, background: { r: 90, g: 90, b: 90 } } })
      .toColourspace("b-w")
      .png()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    expect(pixel(await decodeThumbnail(grey, 16), 16, 8, 8)).toEqual([90, 90, 90]);

    const transparent = await sharp({ create: { width: 40, height: 40, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    expect(pixel(await decodeThumbnail(transparent, 16), 16, 8, 8)).toEqual([255, 255, 255]);
    const halfBlack = await sharp({ create: { width: 40, height: 40, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0.5 } } })
      .png()
      .toBuffer();
    near(pixel(await decodeThumbnail(halfBlack, 16), 16, 8, 8), [128, 128, 128], 2);
  });

  it("reads CMYK JPEGs and the first frame of a GIF", async () => {
    const cmyk = await sharp({ create: { width: 40, height: 40, channels: 3, background: RED } })
      .toColourspace("cmyk")
      .jpeg()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    const [r, g, b] = pixel(await decodeThumbnail(cmyk, 16), 16, 8, 8);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(40);
    expect(b).toBeLessThan(40);
    const gif = await sharp({ create: { width: 20, height: 20, channels: 3, background: { r: 0, g: 0, b: 255 } } })
      .gif()
      .toBuffer();
    expect(pixel(await decodeThumbnail(gif, 8), 8, 4, 4)).toEqual([0, 0, 255]);
  });

  it("throws on random bytes and on a truncated PNG", async () => {
    const random = new Uint8Array(2048).map((_, i) => (i * 7919 + 13) & 255);
    await expect(decodeThumbnail(random, 16)).rejects.toThrow();
    const png = await noiseImage(64, 64);
    await expect(decodeThumbnail(png.subarray(0, Math.floor(png.length / 2)), 16)).rejects.toThrow();
  });
});
