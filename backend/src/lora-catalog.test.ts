import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BACKEND_STATUS_PATH, backendStatusSchema, errorEnvelopeSchema, isSdgateError } from "@sdgate/shared";
import { afterAll, describe, expect, it } from "vitest";
import { LoraCatalog } from "./lora-catalog.ts";
import { GENERATE, generateInit, setupApp, signed } from "./server/test-app.ts";

const dir = mkdtempSync(join(tmpdir(), "sdgate-lora-catalog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha256 = (bytes: string) => createHash("sha256").update(bytes).digest("hex");
writeFileSync(join(dir, "ink.safetensors"), "ink bytes");
writeFileSync(join(dir, "fur.v2.safetensors"), "fur bytes");
writeFileSync(join(dir, "notes.txt"), "not a LoRA");
mkdirSync(join(dir, "nested.safetensors"));

describe("the backend's LoRA catalog", () => {
  it("holds each NAME.safetensors of its folder by the SHA-256 of the file, and reports them as adapters", async () => {
    const catalog = await LoraCatalog.scan(dir);
    expect(catalog.adapters()).toEqual([
      { kind: "lora", name: "fur.v2", digest: sha256("fur bytes") },
      { kind: "lora", name: "ink", digest: sha256("ink bytes") },
    ]);
    expect(catalog.resolve([{ name: "ink", digest: sha256("ink bytes"), weight: 0.7 }])).toEqual([
      { name: "ink", digest: sha256("ink bytes"), weight: 0.7, path: join(dir, "ink.safetensors") },
    ]);
    expect((await LoraCatalog.scan(join(dir, "missing"))).adapters()).toEqual([]);
  });

  it("refuses a digest it has no file for with adapter_unavailable (503) naming the LoRA", async () => {
    const catalog = await LoraCatalog.scan(dir);
    let caught: unknown;
    try {
      catalog.resolve([{ name: "ink", digest: "c".repeat(64), weight: 1 }]);
    } catch (error) {
      caught = error;
    }
    expect(isSdgateError(caught) && [caught.code, caught.status]).toEqual(["adapter_unavailable", 503]);
    expect(String((caught as Error).message)).toContain("LoRA 'ink' (sha256 cccccccccccc…)");
  });

  it("is in the signed status, and a request naming a LoRA it lacks is refused before it runs", async () => {
    const catalog = await LoraCatalog.scan(dir);
    const { app, engine } = setupApp({ loras: catalog });
    const status = await app.request(BACKEND_STATUS_PATH, await signed(BACKEND_STATUS_PATH, null));
    expect(backendStatusSchema.parse(await status.json()).adapters).toEqual(catalog.adapters());
    const missing = await app.request(
      GENERATE,
      await generateInit({ lora: [{ name: "gone", digest: "d".repeat(64), weight: 1 }] }),
    );
    expect(missing.status).toBe(503);
    const { error } = errorEnvelopeSchema.parse(await missing.json());
    expect([error.code, error.message]).toEqual([
      "adapter_unavailable",
      `This backend does not hold LoRA 'gone' (sha256 ${"d".repeat(12)}…).`,
    ]);
    expect(engine.batches).toEqual([]);
    const held = await app.request(
      GENERATE,
      await generateInit({ lora: [{ name: "ink", digest: sha256("ink bytes"), weight: 1 }] }),
    );
    expect(held.status).toBe(200);
  });
});
