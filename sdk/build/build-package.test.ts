import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeServer, json } from "../src/test-support/fake-server.ts";
import { buildSdkPackage } from "./build-package.ts";

const REPO_DIR = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const run = promisify(execFile);

// The package npm would publish, installed in a program that is not this repository: its types are
// checked by a strict tsc and it runs under plain Node from its JavaScript, not from our sources.
describe("the published @sdgate/sdk", () => {
  const work = mkdtempSync(join(tmpdir(), "sdgate-sdk-package-"));
  const consumerDir = join(work, "consumer");
  // Installed where npm would put it (a symlink would resolve zod from outside the program).
  const packageDir = join(consumerDir, "node_modules/@sdgate/sdk");

  beforeAll(async () => {
    await buildSdkPackage(packageDir);
    symlinkSync(join(REPO_DIR, "node_modules/zod"), join(consumerDir, "node_modules/zod"));
    writeFileSync(join(consumerDir, "package.json"), JSON.stringify({ type: "module", private: true }));
  }, 60_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("is one ES module that imports nothing but zod: no Node built-in, no unpublished package", () => {
    const bundle = readFileSync(join(packageDir, "index.js"), "utf8");
    const imports = [...bundle.matchAll(/^\s*import\s[^;]*?from\s*"([^"]+)"/gm)].map((m) => m[1]);
    expect(new Set(imports)).toEqual(new Set(["zod"]));
    expect(bundle).not.toMatch(/["']node:|@sdgate\/shared|require\(/);
  });

  it("type-checks a strict program against its declarations, and refuses a wrong call", async () => {
    writeFileSync(
      join(consumerDir, "check.ts"),
      [
        'import { type JobView, type KeyWithSecret, Sdgate, SdgateApiError } from "@sdgate/sdk";',
        'const admin = new Sdgate({ baseUrl: "https://images.example.com", adminToken: "t" });',
        'export const created: Promise<KeyWithSecret> = admin.keys.create({ name: "ci" });',
        "// @ts-expect-error: a key needs a name",
        "export const nameless = admin.keys.create({});",
        'export const status = (job: JobView): "queued" | "running" | "succeeded" | "failed" | "cancelled" => job.status;',
        "export const isError = (e: unknown) => e instanceof SdgateApiError && e.param;",
      ].join("\n"),
    );
    writeFileSync(
      join(consumerDir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          lib: ["es2023", "dom"],
          types: [],
          noEmit: true,
          exactOptionalPropertyTypes: true,
        },
        files: ["check.ts"],
      }),
    );
    const tsc = join(REPO_DIR, "node_modules/.bin/tsc");
    await expect(run(tsc, ["-p", consumerDir])).resolves.toBeDefined();
  }, 60_000);

  it("runs under Node from its JavaScript: a call, and an API error as SdgateApiError", async () => {
    const server = await fakeServer((request, response) =>
      request.path === "/healthz"
        ? json(response, 200, { status: "ok" })
        : json(response, 404, {
            error: { type: "not_found_error", code: "not_found", message: "No such key.", param: "id" },
          }),
    );
    try {
      writeFileSync(
        join(consumerDir, "run.mjs"),
        [
          'import { Sdgate, SdgateApiError } from "@sdgate/sdk";',
          `const client = new Sdgate({ baseUrl: ${JSON.stringify(server.url)}, adminToken: "t", maxRetries: 0 });`,
          "const health = await client.health();",
          'const missing = await client.keys.get("key_0").catch((error) => error);',
          "console.log(JSON.stringify({ health, code: missing instanceof SdgateApiError ? missing.code : null }));",
        ].join("\n"),
      );
      const { stdout } = await run(process.execPath, [join(consumerDir, "run.mjs")]);
      expect(JSON.parse(stdout)).toEqual({ health: { status: "ok" }, code: "not_found" });
    } finally {
      await server.close();
    }
  }, 30_000);
});
