import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "e2e/**/*.test.ts"],
    // Generous: the Chromium tests train on a loaded 2-core machine.
    testTimeout: 300_000,
    hookTimeout: 180_000,
    pool: "forks",
    // The two Chromium files one after the other: each trains models on a 2-core machine.
    fileParallelism: false,
  },
});
