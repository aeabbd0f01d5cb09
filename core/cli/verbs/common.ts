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
