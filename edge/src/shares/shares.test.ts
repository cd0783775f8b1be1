import { env } from "cloudflare:workers";
import {
  type CreatedShare,
  createdShareSchema,
  type ErrorEnvelope,
  type Run,
  type RunList,
  type SharedView,
  sharedViewSchema,
  shareListSchema,
} from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { beforeAll, describe, expect, it, vi } from "vitest";
import app from "../index.ts";
import { asAdmin, expectJson, newTeam } from "../routes/admin-people/testing.ts";
import { edgeEnv, generate, uniquePrompt } from "../test-support/harness.ts";
import { pruneShares } from "./store.ts";
import { mintShareToken } from "./token.ts";

interface TeamKey {
  key: string;
  id: string;
  teamId: string;
}

async function teamKey(): Promise<TeamKey> {
  const team = await newTeam();
  const created = await expectJson<{ key: string; id: string }>(
    await asAdmin("/admin/keys", { method: "POST", json: { name: "shares", team_id: team.id } }),
    201,
  );
  return { key: created.key, id: created.id, teamId: team.id };
}

async function call(
  path: string,
  key: string | null,
  init: RequestInit & { json?: unknown } = {},
): Promise<Response> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (key !== null) headers.set("Authorization", `Bearer ${key}`);
  if (json !== undefined) headers.set("Content-Type", "application/json");
  return app.request(
    path,
    { ...rest, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) },
    edgeEnv(),
  );
}

/** Makes a run per seed on `owner`'s key, and returns them once the history has them. */
async function runsOf(owner: TeamKey, seeds: number[]): Promise<Run[]> {
  const prompts = seeds.map(() => uniquePrompt("a shared lighthouse"));
  for (const [index, seed] of seeds.entries())
    expect((await generate({ prompt: prompts[index], seed, size: "64x64" }, { key: owner.key })).status).toBe(
      200,
    );
  let found: Run[] = [];
  await vi.waitFor(async () => {
    const list = await expectJson<RunList>(await call("/v1/runs", owner.key), 200);
    found = prompts.flatMap((prompt) => list.data.filter((run) => run.prompt === prompt));
    expect(found).toHaveLength(seeds.length);
  });
  return found;
}

const tokenOf = (share: CreatedShare) => share.url.slice(share.url.indexOf("#/share/") + "#/share/".length);
const open = (token: string, headers: Record<string, string> = {}) =>
  call(`/v1/shared/${token}`, null, { headers });

async function share(owner: TeamKey, body: unknown): Promise<CreatedShare> {
  return strictly(createdShareSchema).parse(
    await expectJson(await call("/v1/shares", owner.key, { method: "POST", json: body }), 201),
  );
}

let alice: TeamKey;
let bob: TeamKey;
let aliceRuns: Run[];
let bobRuns: Run[];

beforeAll(async () => {
  [alice, bob] = [await teamKey(), await teamKey()];
  aliceRuns = await runsOf(alice, [11, 12]);
  bobRuns = await runsOf(bob, [13]);
});

describe("share links", () => {
  it("share a comparison that anyone with the link opens, without a credential or the team's ids", async () => {
    const [a, b] = aliceRuns as [Run, Run];
    const created = await share(alice, { layout: { kind: "comparison", runs: [a.id, b.id] } });
    expect(created).toMatchObject({
      kind: "comparison",
      status: "active",
      run_ids: [a.id, b.id],
      title: a.prompt,
    });
    expect(created.url).toMatch(/^http:\/\/localhost\/studio\/#\/share\/shr1\.[0-9a-f]{32}\.[0-9a-f]{64}$/);
    const days = (Date.parse(created.expires_at) - Date.parse(created.created_at)) / 86_400_000;
    expect(days).toBe(7);

    const res = await open(tokenOf(created));
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    const text = await res.text();
    expect(res.status).toBe(200);
    const view: SharedView = strictly(sharedViewSchema).parse(JSON.parse(text));
    expect(view).toMatchObject({ kind: "comparison", layout: { kind: "comparison", runs: [a.id, b.id] } });
    expect(view.runs.map((run) => [run.id, run.request.seed])).toEqual([
      [a.id, 11],
      [b.id, 12],
    ]);
    // No key, team, cost or backend: only the recipe and the images.
    for (const secret of [alice.id, alice.teamId, "fake-healthy", "cost", "key_id", "team_id"])
      expect(text).not.toContain(secret);
    const link = new URL(view.runs[0]?.images[0]?.url ?? "");
    const image = await app.request(link.pathname + link.search, {}, edgeEnv());
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
  });

  it("share one run or a grid the caller lays out, list them, and read one run by id", async () => {
    const [a, b] = aliceRuns as [Run, Run];
    const single = await share(alice, {
      layout: { kind: "run", run: a.id },
      expires_in_days: 90,
      title: "Keeper",
    });
    expect(single).toMatchObject({ kind: "run", title: "Keeper" });
    const grid = await share(alice, {
      layout: {
        kind: "grid",
        x: { label: "seed", values: ["11", "12"] },
        y: { label: "steps", values: ["20"] },
        cells: [
          { x: 0, y: 0, run: a.id },
          { x: 1, y: 0, run: b.id },
        ],
      },
    });
    expect(grid.title).toBe("seed × steps");
    const view = await expectJson<SharedView>(await open(tokenOf(grid)), 200);
    expect(view.layout).toMatchObject({ kind: "grid", x: { values: ["11", "12"] } });
    expect(view.runs).toHaveLength(2);

    const list = strictly(shareListSchema).parse(await expectJson(await call("/v1/shares", alice.key), 200));
    expect(list.data.map((item) => item.id)).toEqual(expect.arrayContaining([single.id, grid.id]));
    expect(JSON.stringify(list)).not.toContain(tokenOf(grid));
    // Another team sees none of them.
    const theirs = await expectJson<{ data: unknown[] }>(await call("/v1/shares", bob.key), 200);
    expect(JSON.stringify(theirs)).not.toContain(grid.id);

    const read = await expectJson<Run>(await call(`/v1/runs/${a.id}`, alice.key), 200);
    expect(read).toMatchObject({ id: a.id, request: { seed: 11 } });
  });
});

describe("share links refuse", () => {
  it("another team's run with a 404, whether read, shared or mixed in", async () => {
    const [a] = aliceRuns as [Run];
    const [theirs] = bobRuns as [Run];
    const read = await expectJson<ErrorEnvelope>(await call(`/v1/runs/${theirs.id}`, alice.key), 404);
    expect(read.error.code).toBe("not_found");
    const mixed = await call("/v1/shares", alice.key, {
      method: "POST",
      json: { layout: { kind: "comparison", runs: [a.id, theirs.id] } },
    });
    const refused = await expectJson<ErrorEnvelope>(mixed, 404);
    expect(refused.error).toMatchObject({ code: "not_found", param: "layout" });
    expect(refused.error.message).toContain(theirs.id);
  });

  it.each([
    [{ layout: { kind: "run", run: "x" }, expires_in_days: 91 }, "expires_in_days"],
    [{ layout: { kind: "run", run: "x" }, expires_in_days: 0 }, "expires_in_days"],
    [{ layout: { kind: "comparison", runs: ["x"] } }, "layout.runs"],
    [
      {
        layout: {
          kind: "grid",
          x: { label: "seed", values: ["1"] },
          y: { label: "steps", values: ["1"] },
          cells: [{ x: 1, y: 0, run: "x" }],
        },
      },
      "layout.cells.0",
    ],
    [{ layout: { kind: "run", run: "x" }, team_id: "team_1" }, null],
  ])("a bad body with a 400 naming the field (%j)", async (body, param) => {
    const res = await call("/v1/shares", alice.key, { method: "POST", json: body });
    const error = await expectJson<ErrorEnvelope>(res, 400);
    expect(error.error.code).toBe("invalid_request");
    if (param !== null) expect(error.error.param).toBe(param);
  });

  it("revoking another team's share, which stays open", async () => {
    const created = await share(alice, { layout: { kind: "run", run: (aliceRuns[0] as Run).id } });
    await expectJson(await call(`/v1/shares/${created.id}`, bob.key, { method: "DELETE" }), 404);
    expect((await open(tokenOf(created))).status).toBe(200);
  });
});

describe("a share link is the same 404", () => {
  async function fresh(): Promise<CreatedShare> {
    return share(alice, { layout: { kind: "run", run: (aliceRuns[0] as Run).id } });
  }
  async function gone(token: string): Promise<ErrorEnvelope["error"]> {
    const error = await expectJson<ErrorEnvelope>(await open(token), 404);
    return error.error;
  }

  it("once revoked, at once, and the list says so", async () => {
    const created = await fresh();
    expect((await open(tokenOf(created))).status).toBe(200);
    const revoked = await expectJson<{ status: string; revoked_at: string }>(
      await call(`/v1/shares/${created.id}`, alice.key, { method: "DELETE" }),
      200,
    );
    expect(revoked.status).toBe("revoked");
    expect(await gone(tokenOf(created))).toMatchObject({ code: "not_found" });
    const list = await expectJson<{ data: Array<{ id: string; status: string }> }>(
      await call("/v1/shares", alice.key),
      200,
    );
    expect(list.data.find((item) => item.id === created.id)?.status).toBe("revoked");
  });

  it("once expired, forged, or signed with another secret, with one answer for all", async () => {
    const expired = await fresh();
    await env.DB.prepare("UPDATE shares SET expires_at = ? WHERE id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), expired.id)
      .run();
    const token = tokenOf(await fresh());
    const flipped = `${token.slice(0, -1)}${token.endsWith("0") ? "1" : "0"}`;
    const elsewhere = (await mintShareToken("another-secret-of-at-least-32-characters")).token;
    const answers = await Promise.all(
      [tokenOf(expired), flipped, elsewhere, "shr1.nonsense", "x".repeat(500)].map(gone),
    );
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect((await open(token)).status).toBe(200);
  });

  it("and an address that tries many unknown links is refused for a while", async () => {
    const headers = { "CF-Connecting-IP": `198.51.100.${Math.floor(Math.random() * 250)}` };
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      const { token } = await mintShareToken(`guessing-secret-${i}-padded-to-thirty-two-characters`);
      statuses.push((await open(token, headers)).status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(404));
    expect(statuses.at(-1)).toBe(429);
  });

  it("where the edge has no URL signing key, and no share can be made there", async () => {
    const token = tokenOf(await fresh());
    const { SDGATE_URL_SIGNING_KEY, ...unsigned } = edgeEnv();
    expect(SDGATE_URL_SIGNING_KEY).toBeDefined();
    expect((await app.request(`/v1/shared/${token}`, {}, unsigned)).status).toBe(404);
    const refused = await app.request(
      "/v1/shares",
      {
        method: "POST",
        headers: { Authorization: `Bearer ${alice.key}`, "Content-Type": "application/json" },
        body: JSON.stringify({ layout: { kind: "run", run: (aliceRuns[0] as Run).id } }),
      },
      unsigned,
    );
    expect((await expectJson<ErrorEnvelope>(refused, 400)).error.message).toContain("SDGATE_URL_SIGNING_KEY");
  });
});

describe("share links' retention", () => {
  it("deletes shares that ended longer ago than the history keeps runs, and no others", async () => {
    const ended = await share(alice, { layout: { kind: "run", run: (aliceRuns[0] as Run).id } });
    const open = await share(alice, { layout: { kind: "run", run: (aliceRuns[0] as Run).id } });
    await call(`/v1/shares/${ended.id}`, alice.key, { method: "DELETE" });
    const dayMs = 86_400_000;
    // A day after the revocation, with a one-day retention: nothing yet; two days after: the revoked one.
    expect(await pruneShares(env.DB, dayMs, new Date(Date.now() + dayMs / 2))).toBe(0);
    expect(await pruneShares(env.DB, dayMs, new Date(Date.now() + 2 * dayMs))).toBeGreaterThanOrEqual(1);
    const ids = (
      await expectJson<{ data: Array<{ id: string }> }>(await call("/v1/shares", alice.key), 200)
    ).data.map((item) => item.id);
    expect(ids).toContain(open.id);
    expect(ids).not.toContain(ended.id);
  });
});
