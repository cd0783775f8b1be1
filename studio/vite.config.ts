import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * The Studio's build: `studio/dist/studio/`, which the edge serves as Workers Static Assets
 * (wrangler.toml's `[assets]` points at `studio/dist`, so the files sit under `/studio/`).
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/studio/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist/studio",
    emptyOutDir: true,
    target: "es2023",
  },
});
