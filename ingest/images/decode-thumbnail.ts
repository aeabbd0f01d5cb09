import sharp from "sharp";

/** Largest decoded image accepted, in pixels (~40 MP): several decodes run at once, and each holds its pixels in memory. */
export const MAX_INPUT_PIXELS = 40_000_000;

const WHITE = { r: 255, g: 255, b: 255 };

/** Decode any image sharp reads (grey, alpha, CMYK, first frame of animations) into a size×size RGB thumbnail. */
export async function decodeThumbnail(bytes: Uint8Array, size: number): Promise<Uint8Array> {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError(`decodeThumbnail: size must be a positive integer, got ${size}`);
  const image = sharp(bytes, {
    // "error" fails on truncated or broken data; the default "warning" would also reject many real-world
    // JPEGs that only carry harmless warnings (extraneous bytes, odd markers).
    failOn: "error",
    limitInputPixels: MAX_INPUT_PIXELS,
    // Phone photos store rotation in EXIF; the model should see the product upright.
    autoOrient: true,
    // Only the first frame of a GIF/WebP animation or multi-page TIFF.
    pages: 1,
    page: 0,
  });
  const { data, info } = await image
    .flatten({ background: WHITE })
    // "contain" keeps the aspect ratio and pads with white: "cover" would crop off parts of the product
    // (a long dress's hem, a shoe's toe) and "fill" would distort its shape, which the model uses to tell
    // categories apart; white padding matches the studio-white background of most product photos.
    .resize(size, size, { fit: "contain", background: WHITE })
    .toColourspace("srgb")
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3 || data.length !== size * size * 3) {
    throw new Error(`unexpected decode output ${info.width}x${info.height}x${info.channels}`);
  }
  // A plain Uint8Array over the same memory: callers should not depend on Buffer.
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}
