import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const BUILD = new URL("../dist/studio/", import.meta.url);
/** Issue 17: the first load is at most 150 KB of compressed JavaScript. */
const MAX_FIRST_LOAD_GZIP_BYTES = 150 * 1024;

/** The scripts index.html loads before the page is usable: its module entry and what it preloads. */
function firstLoadScripts(html: string): string[] {
  const sources = [...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)].map((match) => match[1]);
  const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]);
  return [...sources, ...preloads].filter((path): path is string => path !== undefined);
}

describe("the Studio's build", () => {
  it("loads at most 150 KB of gzip-compressed JavaScript first", () => {
    const html = readFileSync(new URL("index.html", BUILD), "utf8");
    const scripts = firstLoadScripts(html);
    expect(scripts.length).toBeGreaterThan(0);
    const gzipBytes = scripts
      .map((path) => {
        // Served at /studio/…; built into dist/studio/….
        expect(path.startsWith("/studio/")).toBe(true);
        return gzipSync(readFileSync(new URL(path.slice("/studio/".length), BUILD)), { level: 9 }).length;
      })
      .reduce((sum, bytes) => sum + bytes, 0);
    console.log(`Studio first load: ${(gzipBytes / 1024).toFixed(1)} KB of gzipped JavaScript`);
    expect(gzipBytes).toBeLessThanOrEqual(MAX_FIRST_LOAD_GZIP_BYTES);
  });
});
