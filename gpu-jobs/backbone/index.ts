// Bring-your-own image backbones on the training side: which backbone a job uses (given or
// recorded, mismatches refused) and its features per catalog image, cached in the data directory.
export { prepareBackbone, resolveBackbone, type PrepareBackboneOptions } from "./prepare.ts";
export { attachBackboneFeatures, type AttachOptions, type AttachResult } from "./attach-features.ts";
export { FeatureCache, featureCacheDir } from "./feature-cache.ts";
