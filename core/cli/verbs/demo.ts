// `vitrine demo` (what `npm start` runs): the table (the runner is bin/demo.ts).
import { defineVerb } from "../spec.ts";
import { MAX_SEED, PRESET_CHOICES } from "./common.ts";

export const DEMO = defineVerb({
  name: "demo",
  summary: "generate the demo shop, import it, serve it, retrain the towers as a job and publish (what npm start runs)",
  flags: {
    data: { type: "string", value: "DIR", default: ".vitrine/demo", help: "where the demo lives: source/ (the generated shop) and data/" },
    port: { type: "int", min: 0, max: 65_535, default: 8787, help: "port to serve on (0: any free one)" },
    preset: {
      type: "enum",
      choices: PRESET_CHOICES,
      default: "cpu",
      help: "preset of the retrain job (cpu: about 5 minutes on 2 idle cores, up to 15 beside other work; tiny: seconds, a weak model)",
    },
    items: { type: "int", min: 1, defaultText: "2000", help: "demo catalog size" },
    seed: { type: "int", min: 0, max: MAX_SEED, defaultText: "42", help: "seed of the demo catalog" },
    "no-train": { type: "boolean", help: "serve what exists without training" },
    retrain: { type: "boolean", help: "train again even though an earlier retrain finished" },
  },
  notes: `A lexical baseline release serves at once; the retrain runs as a job of the API (watch it with the
SDK's jobs.watch too) and publishes if it passes the eval gate. Each step is skipped when its output
exists, so a second run serves in seconds; an interrupted retrain resumes from its checkpoints.`,
  examples: ["vitrine demo", "vitrine demo --preset tiny --items 300 --port 8788"],
});
