import { adapterListSchema } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { approvedAdapter } from "../adapters/testing.ts";
import { call } from "../keys/testing.ts";
import { freshModelId } from "../model-registry/testing.ts";
import { seedApiKey } from "../test-support/harness.ts";
import { asAdmin, expectJson } from "./admin-people/testing.ts";

const list = async (key: string, query = "") =>
  strictly(adapterListSchema).parse(await expectJson(await call(`/v1/adapters${query}`, { key }), 200)).data;

const keyLimitedTo = async (models: string[]) =>
  (
    await expectJson<{ key: string }>(
      await asAdmin("/admin/keys", { method: "POST", json: { name: "t", models } }),
      201,
    )
  ).key;

describe("GET /v1/adapters", () => {
  it("lists approved adapters of a kind, for a model, in the shape pickers and A1111 need", async () => {
    const model = freshModelId();
    const lora = await approvedAdapter("lora", [model]);
    const controlnet = await approvedAdapter("controlnet", [model]);
    const pending = await approvedAdapter("lora", [model], { approve: false });
    const key = await seedApiKey(["read"]);
    expect(await list(key, `?kind=lora&model=${model}@production`)).toEqual([
      {
        object: "adapter",
        kind: "lora",
        name: lora.name,
        alias: lora.name,
        digest: lora.digest,
        description: "",
        applies_to: [model],
        deprecated: false,
      },
    ]);
    const both = (await list(key, `?model=${model}`)).map((adapter) => adapter.name);
    expect(both).toEqual([controlnet.name, lora.name]);
    expect(both).not.toContain(pending.name);
  });

  it("lists only adapters for models the key may use", async () => {
    const usable = await approvedAdapter("lora", ["tiny"]);
    const hidden = await approvedAdapter("lora", [freshModelId()]);
    const names = (await list(await keyLimitedTo(["tiny"]))).map((adapter) => adapter.name);
    expect(names).toContain(usable.name);
    expect(names).not.toContain(hidden.name);
  });

  it("names a bad query parameter and needs a key", async () => {
    const bad = await call("/v1/adapters?kind=vae", { key: await seedApiKey(["read"]) });
    expect(await expectJson(bad, 400)).toMatchObject({ error: { param: "kind" } });
    expect((await call("/v1/adapters")).status).toBe(401);
  });
});
