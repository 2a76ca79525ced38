import { defineConfig } from "vitest/config";

// Against the real example server (KIM_SERVER_JAR), from Node and from headless Chromium; one file at a time.
export default defineConfig({
  test: {
    include: ["test/integration/**/*.test.ts", "test/browser/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 90_000,
    fileParallelism: false,
    reporters: ["default"],
  },
});
