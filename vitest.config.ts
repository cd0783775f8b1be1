import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// The Node-side test projects. The edge's tests run inside workerd and have their own config
// (edge/vitest.config.ts), because they need the Workers pool rather than Node.
//
// Most projects' files share their worker's module graph (`isolate: false`): importing onnxruntime,
// sharp, zod and the contract afresh for every file took about 100 of the unit tests' 270 seconds on
// 2 cores. Their files keep no global state between them. Infra's do (Pulumi's runtime mocks are
// process-wide, set per file), so they keep a fresh graph each.
const SHARED_GRAPH = { isolate: false } as const;

export default defineConfig({
  test: {
    // Vitest's default for `run` is one worker fewer than the cores: on a 2-core machine one file at a
    // time, with a core idle. The files are CPU-bound (onnxruntime, sharp) and independent, so use all.
    maxWorkers: availableParallelism(),
    projects: [
      { test: { name: "shared", include: ["shared/src/**/*.test.ts"], ...SHARED_GRAPH } },
      {
        test: {
          name: "backend",
          include: ["backend/src/**/*.test.ts"],
          testTimeout: 60_000,
          ...SHARED_GRAPH,
        },
      },
      { test: { name: "infra", include: ["infra/src/**/*.test.ts"], testTimeout: 60_000 } },
      { test: { name: "cli", include: ["cli/src/**/*.test.ts"], testTimeout: 10_000, ...SHARED_GRAPH } },
      {
        test: {
          name: "sdk",
          include: ["sdk/{src,build}/**/*.test.ts"],
          testTimeout: 15_000,
          ...SHARED_GRAPH,
        },
      },
      { test: { name: "bench", include: ["bench/**/*.test.ts"], testTimeout: 120_000, ...SHARED_GRAPH } },
      { test: { name: "scripts", include: ["scripts/**/*.test.ts"], testTimeout: 30_000, ...SHARED_GRAPH } },
      {
        test: {
          name: "e2e",
          include: ["test/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Each file starts its own stack on free ports in its own state folder, so the two run
          // side by side (the files' waits on workerd, backends and Chromium overlap).
        },
      },
    ],
  },
});
