// Training data: the imported catalog and click pairs, patch inputs, and a resumable pair sampler.
export {
  loadTrainingData,
  itemFrequencyOf,
  type TrainingData,
  type TrainingItems,
  type TrainingPairs,
  type ItemFeatures,
  type LoadTrainingDataOptions,
} from "./load-training-data.ts";
export { patchesOf, patchDim } from "./patches.ts";
export { augmentedViews, augmentThumbs, DEFAULT_AUGMENT, type AugmentOptions } from "./augment.ts";
export { imageInputOf, imageMaskOf, inputShapeOf, type ImageInputShape } from "./image-input.ts";
export { createPairSampler, type PairSampler, type PairSamplerOptions, type PairSamplerState } from "./pair-sampler.ts";
