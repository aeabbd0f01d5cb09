import { defineConfig } from "vitest/config";

// One config for unit tests beside the code and cross-part tests in test/.
export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", ".data/**"],
    // Native addons (LanceDB, sharp, onnxruntime) are happiest in forked processes.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
