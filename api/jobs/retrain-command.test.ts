// `vitrine retrain`'s flags become the same job config the API's jobs.trigger validates.
import { describe, expect, it } from "vitest";
import { parseArgv } from "../../core/cli/index.ts";
import { RETRAIN } from "../../core/cli/verbs/index.ts";
import { retrainConfigFromFlags } from "./retrain-command.ts";

const flags = (argv: string[]) => retrainConfigFromFlags(parseArgv(RETRAIN, argv, {}).values);

describe("retrain flags → job config", () => {
  it("carries the vision side's shape into pretrain", () => {
    const c = flags([
      "--data",
      "/tmp/x",
      "--patch-grid",
      "2",
      "--cnn-channels",
      "8,16",
      "--title-dropout",
      "0.3",
      "--global-token",
      "--global-weight",
      "0.5",
      "--image-contrast",
      "0.5",
      "--stage1",
      "contrast",
      "--stage1-fraction",
      "0.2",
    ]);
    expect(c.pretrain).toMatchObject({ patchGrid: 2, cnnChannels: [8, 16], titleDropout: 0.3, globalToken: true, globalWeight: 0.5, imageContrast: 0.5, stage1: "contrast", stage1Fraction: 0.2 });
  });

  it("leaves what was not given to the defaults", () => {
    const c = flags(["--data", "/tmp/x"]);
    expect(c.pretrain).toBeUndefined();
  });
});
