import { env } from "cloudflare:workers";
import { ENGINE_VERSION, type Run } from "@sdgate/shared";
import { describe, expect, it, vi } from "vitest";
import app from "../index.ts";
import { asAdmin, expectJson, newTeam, person } from "../routes/admin-people/testing.ts";
import { edgeEnv, generate, seedApiKey, uniquePrompt } from "../test-support/harness.ts";
import { pruneRuns } from "./store.ts";
import { runs, teamKey, waitForRuns } from "./testing.ts";

describe("the run history", () => {
  it("keeps every generation of a team's keys, with its request, cost, backend and image links", async () => {
    const team = await newTeam();
    const [mine, theirs] = [await teamKey(team.id), await teamKey(team.id)];
    const first = uniquePrompt("a lighthouse");
    const second = uniquePrompt("a harbour");
    expect((await generate({ prompt: first, seed: 3, size: "64x64" }, { key: mine })).status).toBe(200);
    expect((await generate({ prompt: second, seed: 4, n: 2 }, { key: theirs })).status).toBe(200);

    const [latest, earlier] = await waitForRuns(mine, [first, second]);
    expect(latest).toMatchObject({ prompt: second, status: "succeeded", team_id: team.id, error_code: null });
    expect(earlier).toMatchObject({
      prompt: first,
      status: "succeeded",
      model: "tiny",
      backend: "fake-healthy",
    });
    expect(earlier?.cost).toBeGreaterThan(0);
    expect(earlier?.request).toMatchObject({ prompt: first, seed: 3, width: 64, height: 64, image: null });
    // What ran it: the fleet's engine and the engine's stage timings as the backend reported them.
    expect(earlier?.engine_version).toBe(ENGINE_VERSION);
    expect(earlier?.timings_ms).toMatchObject({ denoise: expect.any(Number), total: expect.any(Number) });
    expect(latest?.images.map((image) => image.seed)).toEqual([4, 5]);
    // The links are signed and serve the image.
    const image = await app.request(
      new URL(earlier?.images[0]?.url ?? "").pathname + new URL(earlier?.images[0]?.url ?? "").search,
      {},
      edgeEnv(),
    );
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    // And its thumbnail, kept beside it, has its own link: a small WebP.
    const thumbUrl = new URL(earlier?.images[0]?.thumb_url ?? "");
    expect(thumbUrl.pathname).toMatch(/-0-thumb\.webp$/);
    const thumb = await app.request(thumbUrl.pathname + thumbUrl.search, {}, edgeEnv());
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get("content-type")).toBe("image/webp");
    const bytes = new Uint8Array(await thumb.arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(8, 12))).toBe("WEBP");
    expect(bytes.length).toBeLessThan(2_000);
    // The image's signature does not open the thumbnail (each link names what it signs).
    const imageUrl = new URL(earlier?.images[0]?.url ?? "");
    const swapped = `${thumbUrl.pathname}${imageUrl.search}`;
    expect((await app.request(swapped, {}, edgeEnv())).status).toBe(404);
  });

  it("records failures and replays, filters by status, model and text, and pages", async () => {
    const team = await newTeam();
    const key = await teamKey(team.id);
    const ok = uniquePrompt("a quiet fox");
    const refused = uniquePrompt("a loud fox");
    expect((await generate({ prompt: ok, seed: 9 }, { key })).status).toBe(200);
    // The same seeded request again: a replay from the cache, a run that cost nothing.
    const replay = await generate({ prompt: ok, seed: 9 }, { key });
    expect(replay.headers.get("x-cache")).toBe("HIT");
    const failed = await generate({ prompt: refused, seed: 1 }, { key, env: edgeEnv(["badRequest"]) });
    expect(failed.status).toBe(400);
    await vi.waitFor(async () => expect((await runs(key)).data).toHaveLength(3));

    const failures = await runs(key, "?status=failed");
    expect(failures.data).toHaveLength(1);
    expect(failures.data[0]).toMatchObject({
      prompt: refused,
      status: "failed",
      error_code: "invalid_request",
      cost: 0,
    });
    expect(failures.data[0]?.images.every((image) => image.url === null)).toBe(true);
    const quiet = (await runs(key, `?q=${encodeURIComponent("QUIET FOX")}`)).data;
    const costs = quiet.map((run) => run.cost);
    expect(costs.sort()).toEqual([0, costs[1]]);
    // The replay ran on no engine, so it names none; the failure neither.
    const replayed = quiet.find((run) => run.cost === 0);
    expect(replayed).toMatchObject({ engine_version: null, timings_ms: null });
    expect(failures.data[0]).toMatchObject({ engine_version: null, timings_ms: null });
    expect((await runs(key, "?model=nothing")).data).toEqual([]);
    // A search is text, never a pattern.
    expect((await runs(key, `?q=${encodeURIComponent("%")}`)).data).toEqual([]);

    const page = await runs(key, "?limit=2");
    expect(page.data).toHaveLength(2);
    expect(page.next_before).not.toBeNull();
    const rest = await runs(key, `?limit=2&before=${encodeURIComponent(page.next_before ?? "")}`);
    expect(rest.data).toHaveLength(1);
    expect(rest.next_before).toBeNull();
    expect(new Set([...page.data, ...rest.data].map((run) => run.id)).size).toBe(3);
  });

  it("filters by the person who made the key and by the key, and names a bad one", async () => {
    const team = await newTeam();
    const dev = await person({ role: "developer", team });
    const made = await expectJson<{ id: string; key: string }>(
      await dev.call("/admin/keys", { method: "POST", json: { name: "dev's", team_id: team.id } }),
      201,
    );
    const ci = await expectJson<{ id: string; key: string }>(
      await asAdmin("/admin/keys", { method: "POST", json: { name: "ci", team_id: team.id } }),
      201,
    );
    const [byDev, byCi] = [uniquePrompt("by the developer"), uniquePrompt("by ci")];
    expect((await generate({ prompt: byDev, seed: 1 }, { key: made.key })).status).toBe(200);
    expect((await generate({ prompt: byCi, seed: 2 }, { key: ci.key })).status).toBe(200);
    const [latest, earlier] = await waitForRuns(ci.key, [byDev, byCi]);
    expect(earlier).toMatchObject({ prompt: byDev, person: dev.id, key_id: made.id, key_name: "dev's" });
    expect(earlier?.person_name).toBe("Test Person");
    expect(latest).toMatchObject({ prompt: byCi, person: null, person_name: null, key_name: "ci" });

    const mine = await runs(ci.key, `?person=${dev.id}`);
    expect(mine.data.map((run) => run.prompt)).toEqual([byDev]);
    expect((await runs(made.key, `?key=${ci.id}`)).data.map((run) => run.prompt)).toEqual([byCi]);
    expect((await runs(made.key, `?key=${ci.id}&person=${dev.id}`)).data).toEqual([]);
    const bad = await app.request(
      "/v1/runs?person=' OR 1=1",
      { headers: { authorization: `Bearer ${made.key}` } },
      edgeEnv(),
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_request", param: "person" } });
  });

  it("shows a key without a team its own runs only, and names a bad query parameter", async () => {
    const [alone, other] = [await seedApiKey(), await seedApiKey()];
    const prompt = uniquePrompt("a solitary heron");
    expect((await generate({ prompt, seed: 2 }, { key: alone })).status).toBe(200);
    await waitForRuns(alone, [prompt]);
    expect((await runs(other)).data.some((run) => run.prompt === prompt)).toBe(false);
    const bad = await app.request(
      "/v1/runs?before=yesterday",
      { headers: { authorization: `Bearer ${alone}` } },
      edgeEnv(),
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "invalid_request", param: "before" } });
  });
});

describe("the run history's retention", () => {
  it("deletes runs older than the cutoff and keeps the rest", async () => {
    const key = await seedApiKey();
    const prompt = uniquePrompt("an old heron");
    expect((await generate({ prompt, seed: 8 }, { key })).status).toBe(200);
    const [run] = await waitForRuns(key, [prompt]);
    const createdMs = Date.parse(run?.created_at ?? "");
    await pruneRuns(env.DB, env.IMAGES, 60_000, new Date(createdMs + 30_000));
    expect((await runs(key)).data.map((kept) => kept.id)).toContain(run?.id);
    await pruneRuns(env.DB, env.IMAGES, 60_000, new Date(createdMs + 61_000));
    expect((await runs(key)).data.map((kept) => kept.id)).not.toContain(run?.id);
  });
});

describe("experiments and notes", () => {
  async function patch(key: string, id: string, body: unknown): Promise<Response> {
    return app.request(
      `/v1/runs/${id}`,
      {
        method: "PATCH",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      },
      edgeEnv(),
    );
  }

  it("puts runs into the experiment their header names, made on first use, and lists it", async () => {
    const team = await newTeam();
    const key = await teamKey(team.id);
    const name = `sampler sweep ${crypto.randomUUID().slice(0, 6)}`;
    const prompts = [uniquePrompt("sweep euler"), uniquePrompt("sweep ddim")];
    for (const [i, prompt] of prompts.entries()) {
      const res = await generate({ prompt, seed: i }, { key, headers: { "Sdgate-Experiment": name } });
      expect(res.status).toBe(200);
    }
    const outside = uniquePrompt("not in it");
    expect((await generate({ prompt: outside, seed: 1 }, { key })).status).toBe(200);
    await waitForRuns(key, [...prompts, outside]);

    const inIt = await runs(key, `?experiment=${encodeURIComponent(name)}`);
    expect(inIt.data.map((run) => run.prompt).sort()).toEqual([...prompts].sort());
    expect(inIt.data.every((run) => run.experiment === name)).toBe(true);
    const listed = await app.request(
      "/v1/experiments",
      { headers: { authorization: `Bearer ${key}` } },
      edgeEnv(),
    );
    const { data } = await expectJson<{ data: Array<{ name: string; runs: number }> }>(listed, 200);
    expect(data.find((experiment) => experiment.name === name)?.runs).toBe(2);
  });

  it("refuses an experiment name that is not one, before anything runs", async () => {
    const key = await seedApiKey();
    const prompt = uniquePrompt("never runs");
    const res = await generate({ prompt }, { key, headers: { "Sdgate-Experiment": "<script>" } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: "Sdgate-Experiment" } });
  });

  it("keeps notes, tags and a rating on a run of the team, and nowhere else", async () => {
    const team = await newTeam();
    const [key, outsider] = [await teamKey(team.id), await seedApiKey()];
    const prompt = uniquePrompt("a keeper");
    expect((await generate({ prompt, seed: 5 }, { key })).status).toBe(200);
    const [run] = await waitForRuns(key, [prompt]);
    const noted = await expectJson<Run>(
      await patch(key, run?.id ?? "", {
        notes: "the best light",
        tags: ["keeper", "keeper", "dusk"],
        rating: 5,
      }),
      200,
    );
    expect(noted).toMatchObject({ notes: "the best light", tags: ["keeper", "dusk"], rating: 5 });
    expect((await expectJson<Run>(await patch(key, run?.id ?? "", { rating: null }), 200)).rating).toBeNull();
    expect((await patch(outsider, run?.id ?? "", { rating: 1 })).status).toBe(404);
    expect((await patch(key, run?.id ?? "", { rating: 6 })).status).toBe(400);
    expect((await patch(key, run?.id ?? "", {})).status).toBe(400);
  });
});
