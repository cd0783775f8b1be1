import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// The Studio's unit tests run in Node: its contract-reading code and its build's size (the build
// comes first: `npm run test:studio` runs `build:studio` before it).
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  test: { name: "studio", include: ["src/**/*.test.ts"], testTimeout: 10_000 },
});
