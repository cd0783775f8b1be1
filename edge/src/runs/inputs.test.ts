import { env } from "cloudflare:workers";
import { sha256Hex } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { approvedAdapter } from "../adapters/testing.ts";
import { tenantTag } from "../cache/key.ts";
import { toBase64 } from "../cache/record.ts";
import app from "../index.ts";
import { newTeam } from "../routes/admin-people/testing.ts";
import { FAKE_ADAPTERS } from "../test-support/fake-backends.ts";
import { fleetEnv, post, seedRoomyKey, sleep } from "../test-support/fleet.ts";
import { edgeEnv, generate, uniquePrompt } from "../test-support/harness.ts";
import { jobsEnv, seedJobKey, submit, waitForJob } from "../test-support/jobs-harness.ts";
import { inputObjectKey } from "./inputs.ts";
import { pruneRuns } from "./store.ts";
import { pathOf, runs, teamKey, waitForRuns } from "./testing.ts";

/** A PNG signature and random bytes: an image no other test sends. */
function uniqueImage(): { b64: string; bytes: Uint8Array<ArrayBuffer> } {
  const bytes = new Uint8Array(256);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  crypto.getRandomValues(bytes.subarray(8));
  return { b64: toBase64(bytes), bytes };
}

const digestOf = async (bytes: Uint8Array<ArrayBuffer>) => `sha256:${await sha256Hex(bytes)}`;

async function img2img(key: string, image: string, seed: number, extra: Record<string, unknown> = {}) {
  const prompt = uniquePrompt("a painted harbour");
  const res = await generate({ prompt, seed, size: "64x64", image, strength: 0.6, ...extra }, { key });
  expect(res.status).toBe(200);
  const [run] = await waitForRuns(key, [prompt]);
  if (run === undefined) throw new Error("no run");
  return run;
}

describe("a run's input images", () => {
  it("are recorded by digest, kept once per team in R2, and linked signed from the run", async () => {
    const team = await newTeam();
    const key = await teamKey(team.id);
    const [image, mask] = [uniqueImage(), uniqueImage()];
    const run = await img2img(key, image.b64, 1, { mask: `data:image/png;base64,${mask.b64}` });
    const [imageDigest, maskDigest] = [await digestOf(image.bytes), await digestOf(mask.bytes)];

    // The record names the bytes, not the bytes themselves nor a placeholder.
    expect(run.request).toMatchObject({ image: { $input: imageDigest }, mask: { $input: maskDigest } });
    expect(JSON.stringify(run.request)).not.toContain(image.b64);
    expect(run.inputs.map((input) => input.digest).sort()).toEqual([imageDigest, maskDigest].sort());
    for (const input of run.inputs) {
      expect(input.url).toMatch(/\/v1\/images\/[0-9a-f]{32}-input-[0-9a-f]{64}\?expires=\d+&sig=/);
      const served = await app.request(pathOf(input.url), {}, edgeEnv());
      expect(served.status).toBe(200);
      expect(served.headers.get("content-type")).toBe("image/png");
      const bytes = new Uint8Array(await served.arrayBuffer());
      expect(bytes).toEqual(input.digest === imageDigest ? image.bytes : mask.bytes);
    }
    // A link without its signature, or with another's, opens nothing.
    const [first, second] = run.inputs.map((input) => new URL(input.url ?? ""));
    expect((await app.request(first?.pathname ?? "", {}, edgeEnv())).status).toBe(404);
    expect((await app.request(`${first?.pathname}${second?.search}`, {}, edgeEnv())).status).toBe(404);

    // The same image in a second run of the team is not written again.
    const objectKey = inputObjectKey(await tenantTag(`team:${team.id}`), imageDigest);
    const stored = await env.IMAGES.head(objectKey);
    const again = await img2img(key, image.b64, 2);
    expect(again.request).toMatchObject({ image: { $input: imageDigest }, mask: null });
    expect((await env.IMAGES.head(objectKey))?.uploaded).toEqual(stored?.uploaded);
    expect((await env.IMAGES.head(objectKey))?.version).toBe(stored?.version);
  });

  it("are another team's to read only through its own runs", async () => {
    const [ours, theirs] = [await newTeam(), await newTeam()];
    const [ourKey, theirKey] = [await teamKey(ours.id), await teamKey(theirs.id)];
    const image = uniqueImage();
    const run = await img2img(ourKey, image.b64, 3);
    const read = await app.request(
      `/v1/runs/${run.id}`,
      { headers: { authorization: `Bearer ${theirKey}` } },
      edgeEnv(),
    );
    expect(read.status).toBe(404);
    // Their namespace in our signed link: the signature no longer matches.
    const link = new URL(run.inputs[0]?.url ?? "");
    const theirTag = await tenantTag(`team:${theirs.id}`);
    const forged = link.pathname.replace(/\/[0-9a-f]{32}-input-/, `/${theirTag}-input-`);
    expect((await app.request(`${forged}${link.search}`, {}, edgeEnv())).status).toBe(404);
    // The same image in their run is their own copy, under their namespace.
    const theirRun = await img2img(theirKey, image.b64, 3);
    expect(new URL(theirRun.inputs[0]?.url ?? "").pathname).toContain(`/${theirTag}-input-`);
    expect(await env.IMAGES.head(inputObjectKey(theirTag, await digestOf(image.bytes)))).not.toBeNull();
  });

  it("keeps each ControlNet unit's image out of the row, by digest", async () => {
    const { key } = await seedRoomyKey();
    const canny = (await approvedAdapter("controlnet", ["tiny"], { digest: FAKE_ADAPTERS[1].digest })).name;
    const control = uniqueImage();
    const prompt = uniquePrompt("a controlled tower");
    const body = { model: "tiny", prompt, seed: 4, steps: 2, size: "64x64" };
    const res = await post(
      { ...body, controlnet: [{ model: canny, image: control.b64 }] },
      key,
      fleetEnv(["healthy"]),
    );
    expect(res.status).toBe(200);
    const [run] = await waitForRuns(key, [prompt]);
    expect(run?.request.controlnet).toEqual([
      expect.objectContaining({ model: canny, image: { $input: await digestOf(control.bytes) } }),
    ]);
    expect(run?.inputs).toEqual([{ digest: await digestOf(control.bytes), url: expect.any(String) }]);
  });

  it("are kept for an async job's run too, by the job's Durable Object", async () => {
    const { key } = await seedJobKey();
    const image = uniqueImage();
    const prompt = uniquePrompt("a queued harbour");
    const testEnv = jobsEnv();
    const response = await submit({ prompt, steps: 2, seed: 8, image: image.b64 }, key, testEnv);
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    expect((await waitForJob(id, key, testEnv)).status).toBe("succeeded");
    const [run] = await waitForRuns(key, [prompt]);
    const digest = await digestOf(image.bytes);
    expect(run?.request.image).toEqual({ $input: digest });
    const served = await app.request(pathOf(run?.inputs[0]?.url), {}, edgeEnv());
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(image.bytes);
  });
});

describe("input retention", () => {
  it("deletes an input when the last kept run of its team that refers to it is pruned", async () => {
    const team = await newTeam();
    const key = await teamKey(team.id);
    const image = uniqueImage();
    const older = await img2img(key, image.b64, 5);
    await sleep(5);
    const newer = await img2img(key, image.b64, 6);
    const objectKey = inputObjectKey(await tenantTag(`team:${team.id}`), await digestOf(image.bytes));
    const after = (run: typeof older) => new Date(Date.parse(run.created_at) + 60_001);

    // The older run goes; the newer still refers to the image, so it stays.
    await pruneRuns(env.DB, env.IMAGES, 60_000, after(older));
    expect((await runs(key)).data.map((run) => run.id)).toEqual([newer.id]);
    expect(await env.IMAGES.head(objectKey)).not.toBeNull();
    expect((await app.request(pathOf(newer.inputs[0]?.url), {}, edgeEnv())).status).toBe(200);

    await pruneRuns(env.DB, env.IMAGES, 60_000, after(newer));
    expect((await runs(key)).data).toEqual([]);
    expect(await env.IMAGES.head(objectKey)).toBeNull();
  });
});
