// Flags several verbs share, so they read the same everywhere.
import { BACKEND_NAMES, PRESET_NAMES } from "../../jobs/constants.ts";

/** `--backend`: force a TF.js backend (training and eval verbs). */
export const BACKEND_FLAG = {
  type: "enum",
  choices: BACKEND_NAMES,
  defaultText: "the fastest that starts",
  help: "force a TF.js backend",
} as const;

/** `--preset`: the model preset. */
export const PRESET_CHOICES = PRESET_NAMES;

/** A release id as the store names them. */
export const RELEASE_ID = /^r\d{3,}$/;

/** Seeds: what 32-bit seeded generators take. */
export const MAX_SEED = 4_294_967_295;

const EDGE_GROUP = "edge (Workers KV)";

/** The Cloudflare credentials of the edge's KV namespace (`publish --edge`, `releases`, `edge`). */
export const EDGE_CREDENTIAL_FLAGS = {
  "edge-account": { type: "string", value: "ID", env: "CLOUDFLARE_ACCOUNT_ID", help: "Cloudflare account id", group: EDGE_GROUP },
  "edge-namespace": { type: "string", value: "ID", env: "VITRINE_EDGE_KV_NAMESPACE", help: "id of the KV namespace bound as QIDS in wrangler.toml", group: EDGE_GROUP },
  "edge-token": {
    type: "string",
    value: "TOKEN",
    env: "CLOUDFLARE_API_TOKEN",
    help: 'API token with "Workers KV Storage: Edit" (prefer the variable: flags land in shell history)',
    group: EDGE_GROUP,
  },
  "edge-endpoint": {
    type: "string",
    value: "URL",
    env: "VITRINE_EDGE_KV_ENDPOINT",
    defaultText: "https://api.cloudflare.com/client/v4",
    help: "API base",
    group: EDGE_GROUP,
  },
} as const;

/** `--no-edge`: change the origin alone although the data directory has an edge. */
export const NO_EDGE_FLAG = {
  type: "boolean",
  help: "leave the edge (Workers KV) where it is although this data directory has one; `vitrine edge status` then reports the drift",
  group: EDGE_GROUP,
} as const;

/** `--image-encoder`: a frozen ONNX image backbone with its JSON beside it (pretrain, finetune, embed, retrain). */
export const IMAGE_ENCODER_HELP = {
  train: "a frozen ONNX image backbone (FILE.json beside it: input size, layout, channels, mean/std, output) whose features replace the patch CNN's pixels; recorded in the run and the model card",
  reuse: "the image encoder the run was trained with, when it is no longer at the path it recorded (a different one is refused)",
} as const;

/** Flags that shape the vision side of pre-training (`vitrine pretrain` and `retrain`; job config pretrain.stage1 / patchGrid / cnnChannels / titleDropout / imageContrast / globalToken / globalWeight). */
export const VISION_FLAGS = {
  stage1: {
    type: "enum",
    choices: ["align", "classify", "contrast"],
    defaultText: "align",
    help: "stage 1's objective: align (image↔title contrastive + MPM), classify (the catalog's categories from the image side + MPM; needs categories) or contrast (two augmented views of each image, title masked, told apart from the batch's others + MPM); classify and contrast need --stage1-fraction > 0",
    group: "model",
  },
  "patch-grid": {
    type: "int",
    min: 1,
    max: 64,
    defaultText: "the preset's (cpu: 1, the whole thumbnail; tiny, base: the import's 4)",
    help: "patches per thumbnail side (4: 16 patches); must divide the import's thumbnail side",
    group: "model",
  },
  "cnn-channels": {
    type: "list",
    of: "int",
    min: 1,
    max: 1024,
    value: "C1,C2,...",
    defaultText: "by preset (cpu 16,32)",
    help: "the patch CNN's channels, one per 3×3 conv layer (width and depth, 1–4 layers; each halves the patch side)",
    group: "model",
  },
  "title-dropout": {
    type: "number",
    min: 0,
    max: 0.99,
    defaultText: "0",
    help: "share of items with an image trained with a blank title in stage 2, so the item vector learns what the image shows (for catalogs whose titles leave the type out)",
    group: "model",
  },
  "image-contrast": {
    type: "number",
    min: 0,
    max: 10,
    defaultText: "0 (off)",
    help: "weight of image–image contrastive learning beside matching in stage 2: two augmented views of each image, title masked, must find each other (needs the patch CNN, not --image-encoder)",
    group: "model",
  },
  "global-token": {
    type: "boolean",
    help: "add a whole-image token beside the patch tokens: one projection of every patch's CNN features, so the item vector sees the product's overall shape",
    group: "model",
  },
  "global-weight": {
    type: "number",
    min: 0.01,
    max: 0.99,
    defaultText: "a plain mean over every image token (1/17 on a 4×4 grid)",
    help: "the whole-image token's share of the fused image summary (needs --global-token, fusion fusion); 0.5 weighs the whole garment as much as its 16 patches together",
    group: "model",
  },
} as const;
