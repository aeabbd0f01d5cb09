// Encoders: the serving side of a trained model (tokenizer encode, ONNX query tower, model
// snapshots) and rebuilding a release's query encoder. Importing this loads no ONNX Runtime: the
// sessions load it on first use.

// Errors.
export { TokenizerError, EncoderUnavailableError, BackboneError, type TokenizerErrorCode, type BackboneErrorCode } from "./errors.ts";
// Tokenizer (encode side) and the pre-tokenizer training shares with it.
export { Tokenizer, SPECIAL_TOKENS, SPECIAL_PIECES, TOKENIZER_FORMAT } from "./tokenizer.ts";
export { pretokenize } from "./pretokenize.ts";
// ONNX model folders and the trained query tower.
export { ONNX_ENCODER_NAME } from "./names.ts";
export { loadOrt, openSession, readModelDir, rowsOf, type ModelCardLite } from "./onnx-model.ts";
export { createOnnxQueryEncoder } from "./onnx-query-encoder.ts";
export { snapshotModel } from "./model-snapshot.ts";
// Bring-your-own image backbones: the JSON beside the model, pre/post-processing, the session.
export { parseBackboneSpec, specPathOf, canonicalSpec, BACKBONE_DOCS, BackboneSpecSchema, type BackboneSpec, type BackboneRecord } from "./backbone-spec.ts";
export { pixelsToInput, poolFeatureMap, pooledGrid } from "./backbone-preprocess.ts";
export { describeBackbone, openImageBackbone, type BackboneDescription, type BackboneFeatures, type ImageBackbone } from "./image-backbone.ts";
// The query encoder a release was published with.
export { queryEncoderFor, type EncoderRecord } from "./release-encoder.ts";

import { snapshotModel } from "./model-snapshot.ts";
import { createOnnxQueryEncoder } from "./onnx-query-encoder.ts";

/** The loaders the store's publishTrainedModel takes (lancedb may not import encoders, DESIGN §1). */
export const onnxLoaders = { snapshotModel, createQueryEncoder: createOnnxQueryEncoder };
