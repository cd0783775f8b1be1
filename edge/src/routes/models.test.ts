import { modelListSchema, TINY_MODEL } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { beforeAll, describe, expect, it } from "vitest";
import app from "../index.ts";
import { type Envelope, edgeEnv, seedApiKey } from "../test-support/harness.ts";
import { asRegistryAdmin, freshTinyAlias, registryEdge } from "./admin-models/testing.ts";
import { expectJson, newTeam } from "./admin-people/testing.ts";

let generateOnlyKey: string;
beforeAll(async () => {
  generateOnlyKey = await seedApiKey(["generate"]);
});

describe("GET /v1/models", () => {
  it("lists the models in OpenAI's shape for any valid key", async () => {
    const res = await app.request(
      "/v1/models",
      { headers: { Authorization: `Bearer ${generateOnlyKey}` } },
      edgeEnv(),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: Array<Record<string, unknown>> };
    expect(body.object).toBe("list");
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      id: "tiny",
      object: "model",
      owned_by: "sdgate",
      limits: TINY_MODEL.limits,
    });
    expect(Number.isInteger(body.data[0]?.created)).toBe(true);
  });

  it("gives each model its architecture, native default size and the resolution buckets it was trained at", async () => {
    const env = edgeEnv(["healthy"], { SDGATE_MODELS: JSON.stringify([{ id: "xl", architecture: "sdxl" }]) });
    const res = await app.request(
      "/v1/models",
      { headers: { Authorization: `Bearer ${generateOnlyKey}` } },
      env,
    );
    const { data } = strictly(modelListSchema).parse(await expectJson(res, 200));
    const xl = data.find((model) => model.id === "xl");
    expect(xl).toMatchObject({ architecture: "sdxl", defaults: { width: 1024, height: 1024 } });
    expect(xl?.resolution_buckets).toHaveLength(9);
    expect(xl?.resolution_buckets).toContainEqual({ width: 1216, height: 832 });
    expect(data.find((model) => model.id === "tiny")?.architecture).toBe("sd1");
  });

  it("needs a key, as OpenAI's does", async () => {
    const res = await app.request("/v1/models", {}, edgeEnv());
    expect(res.status).toBe(401);
    expect(((await res.json()) as Envelope).error.code).toBe("missing_api_key");
  });
});

describe("GET /v1/models on a registry edge", () => {
  const list = async (key: string) => {
    const res = await app.request(
      "/v1/models",
      { headers: { Authorization: `Bearer ${key}` } },
      registryEdge(),
    );
    return strictly(modelListSchema).parse(await expectJson(res, 200)).data;
  };
  const keyFor = async (json: Record<string, unknown>) =>
    (await expectJson<{ key: string }>(await asRegistryAdmin("/admin/keys", { method: "POST", json }), 201))
      .key;

  it("lists each registered model with the aliases and versions any key may use", async () => {
    const { alias, version } = await freshTinyAlias();
    const tiny = (await list(await seedApiKey(["read"]))).find((model) => model.id === "tiny");
    expect(tiny).toMatchObject({ object: "model", owned_by: "sdgate", limits: TINY_MODEL.limits });
    expect(tiny?.aliases).toContainEqual({ name: alias, version: version.version });
    expect(tiny?.versions).toContain(version.version);
  });

  it("lists only what a key's models and its team's grants allow", async () => {
    const { alias, version } = await freshTinyAlias();
    const other = await freshTinyAlias();
    const narrow = await list(await keyFor({ name: "one alias", models: [`tiny@${alias}`] }));
    expect(narrow.find((model) => model.id === "tiny")).toMatchObject({
      aliases: [{ name: alias, version: version.version }],
      versions: [],
    });
    expect(narrow.map((model) => model.id)).toEqual(["tiny"]);

    const team = await newTeam();
    const teamKey = await keyFor({ name: "team key", team_id: team.id });
    const granted = [`tiny@${other.alias}`, `tiny@${version.version}`];
    await expectJson(
      await asRegistryAdmin(`/admin/teams/${team.id}/models`, { method: "PUT", json: { models: granted } }),
      200,
    );
    expect(await list(teamKey)).toEqual([
      expect.objectContaining({
        id: "tiny",
        aliases: [{ name: other.alias, version: other.version.version }],
        versions: [version.version],
      }),
    ]);
    await expectJson(
      await asRegistryAdmin(`/admin/teams/${team.id}/models`, { method: "PUT", json: { models: [] } }),
      200,
    );
    expect(await list(teamKey)).toEqual([]);
  });
});
