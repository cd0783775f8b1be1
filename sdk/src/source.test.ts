import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SOURCE = fileURLToPath(new URL(".", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "test-support" ? [] : sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("the SDK's source", () => {
  it("uses only what Node, browsers, Deno and Workers all have: no Node built-ins, no process", () => {
    const files = sourceFiles(SOURCE);
    expect(files.length).toBeGreaterThan(10);
    const offences = files.flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line, index) => ({ line, at: `${relative(SOURCE, file)}:${index + 1}` }))
        .filter(({ line }) => /\bnode:|\bprocess\.|\bBuffer\b|\brequire\(/.test(line))
        .map(({ line, at }) => `${at}: ${line.trim()}`),
    );
    expect(offences).toEqual([]);
  });
});
