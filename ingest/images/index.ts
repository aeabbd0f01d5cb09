// Catalog images: resolve the `image` field, read or fetch it (cached), decode once per distinct content
// into a square RGB thumbnail (cached), and cut thumbnails into the model's patch grid.
export { createImageLoader } from "./image-loader.ts";
export { resolveImageSource } from "./resolve-source.ts";
export { isPrivateAddress, privateHostProblem, type HostLookup } from "./host-guard.ts";
export { decodeThumbnail, MAX_INPUT_PIXELS } from "./decode-thumbnail.ts";
export { patchify } from "./patchify.ts";
export type { ImageLoader, ImageLoaderOptions, ImageLoaderStats, ImageResult, ImageSource } from "./types.ts";
