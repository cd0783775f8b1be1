import { defineConfig } from "vitest/config";

// The Node-side test projects. The edge's tests run inside workerd and have their own config
// (edge/vitest.config.ts), because they need the Workers pool rather than Node.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "shared", include: ["shared/src/**/*.test.ts"] } },
      { test: { name: "backend", include: ["backend/src/**/*.test.ts"], testTimeout: 60_000 } },
      { test: { name: "infra", include: ["infra/src/**/*.test.ts"], testTimeout: 60_000 } },
      { test: { name: "cli", include: ["cli/src/**/*.test.ts"], testTimeout: 10_000 } },
      { test: { name: "sdk", include: ["sdk/{src,build}/**/*.test.ts"], testTimeout: 15_000 } },
      { test: { name: "bench", include: ["bench/**/*.test.ts"], testTimeout: 120_000 } },
      { test: { name: "scripts", include: ["scripts/**/*.test.ts"], testTimeout: 30_000 } },
      {
        test: {
          name: "e2e",
          include: ["test/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
