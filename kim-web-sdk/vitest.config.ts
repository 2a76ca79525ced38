import { defineConfig } from "vitest/config";

// Unit tests against the in-process fake server (npm test). The tests against the real server and in Chromium
// are in vitest.e2e.config.ts (npm run test:e2e).
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    reporters: ["default"],
  },
});
