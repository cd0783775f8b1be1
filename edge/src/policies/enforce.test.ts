import { env } from "cloudflare:workers";
import type { PromptPolicyInput } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import app from "../index.ts";
import { asAdmin, auditRowOf, db, expectJson, newTeam } from "../routes/admin-people/testing.ts";
import { callsTo, edgeEnv, generate, seedApiKey, uniquePrompt } from "../test-support/harness.ts";
import {
  getTeamPolicy,
  POLICY_CACHE_TTL_MS,
  policyForKey,
  removeTeamPolicy,
  setTeamPolicy,
} from "./index.ts";

type Rules = PromptPolicyInput["rules"];

/** A fresh team with `rules` as its policy, and a key of that team made through `POST /admin/keys`. */
async function teamKey(rules: Rules, recordPrompt = false): Promise<{ key: string; teamId: string }> {
  const team = await newTeam();
  await setTeamPolicy(db, team.id, { rules, record_prompt: recordPrompt }, { by: "admin" });
  const created = await expectJson<{ key: string }>(
    await asAdmin("/admin/keys", { method: "POST", json: { name: "policy key", team_id: team.id } }),
    201,
  );
  return { key: created.key, teamId: team.id };
}

async function refusal(res: Response, status: number) {
  return (await expectJson<{ error: { code: string; param: string; message: string } }>(res, status)).error;
}

const RULES: Rules = [
  { id: "no-gore", kind: "blocked_terms", terms: ["gore"] },
  { id: "no-celebs", kind: "blocked_patterns", patterns: ["taylor*swift"], action: "reject" },
  { id: "small", kind: "max_size", max_width: 512, action: "reject" },
  { id: "few-steps", kind: "max_steps", max: 8, action: "reject" },
  { id: "one-image", kind: "max_n", max: 1, action: "reject" },
  { id: "safe-neg", kind: "required_negative_prompt", terms: ["nsfw"] },
];

describe("a team's prompt policy on POST /v1/images/generations", () => {
  it("refuses each kind of rule with its id, status and field, and sends the backend nothing", async () => {
    const { key } = await teamKey(RULES);
    const base = { steps: 4, negative_prompt: "nsfw" };
    const cases = [
      {
        body: { prompt: uniquePrompt("GORE and more") },
        status: 403,
        code: "policy_violation",
        rule: "no-gore",
        param: "prompt",
      },
      {
        body: { prompt: uniquePrompt("taylor alison swift") },
        status: 400,
        code: "policy_rejected",
        rule: "no-celebs",
        param: "prompt",
      },
      {
        body: { prompt: uniquePrompt(), size: "768x768" },
        status: 400,
        code: "policy_rejected",
        rule: "small",
        param: "size",
      },
      {
        body: { prompt: uniquePrompt(), steps: 9 },
        status: 400,
        code: "policy_rejected",
        rule: "few-steps",
        param: "steps",
      },
      {
        body: { prompt: uniquePrompt(), n: 2 },
        status: 400,
        code: "policy_rejected",
        rule: "one-image",
        param: "n",
      },
      {
        body: { prompt: uniquePrompt(), negative_prompt: "blurry" },
        status: 403,
        code: "policy_violation",
        rule: "safe-neg",
        param: "negative_prompt",
      },
    ];
    for (const { body, status, code, rule, param } of cases) {
      const res = await generate({ ...base, ...body }, { key });
      const error = await refusal(res.clone(), status);
      expect(error).toMatchObject({ code, param });
      expect(error.message).toContain(`'${rule}'`);
      expect(await callsTo("healthy", body.prompt)).toEqual([]);
      expect(await callsTo("healthyB", body.prompt)).toEqual([]);
    }
  });

  it("audits a violation with its rule and policy but not the prompt, unless the policy records prompts", async () => {
    const quiet = await teamKey([{ id: "no-gore", kind: "blocked_terms", terms: ["gore"] }]);
    const prompt = uniquePrompt("gore");
    const res = await generate({ prompt, steps: 4 }, { key: quiet.key });
    expect(res.status).toBe(403);
    const row = await auditRowOf(res);
    const policyId = (await getTeamPolicy(db, quiet.teamId))?.policy.id;
    expect(row).toMatchObject({ action: "policy.violation", status: 403 });
    expect(row.detail).toMatchObject({ rule_id: "no-gore", policy_id: policyId, param: "prompt" });
    expect(JSON.stringify(row)).not.toContain(prompt);

    const loud = await teamKey([{ id: "no-gore", kind: "blocked_terms", terms: ["gore"] }], true);
    const recorded = await generate({ prompt, steps: 4 }, { key: loud.key });
    expect((await auditRowOf(recorded)).detail).toMatchObject({ rule_id: "no-gore", prompt });
  });

  it("lets a request within the policy through, and leaves a key without a team alone", async () => {
    const { key } = await teamKey(RULES);
    const allowed = uniquePrompt("a calm lake");
    const res = await generate({ prompt: allowed, steps: 4, negative_prompt: "nsfw, blurry" }, { key });
    expect(res.status).toBe(200);
    expect(await callsTo("healthy", allowed)).toHaveLength(1);

    const teamless = await seedApiKey();
    const res2 = await generate({ prompt: uniquePrompt("gore"), steps: 9, n: 2 }, { key: teamless });
    expect(res2.status).toBe(200);
  });

  it("refuses the same request on POST /v1/estimate, so a quote is never given for it", async () => {
    const { key } = await teamKey(RULES);
    const res = await app.request(
      "/v1/estimate",
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ prompt: "gore", negative_prompt: "nsfw", steps: 4 }),
      },
      edgeEnv(),
    );
    expect(await refusal(res, 403)).toMatchObject({ code: "policy_violation", param: "prompt" });
  });
});

describe("the policy store", () => {
  it("sets, replaces (keeping the id) and removes a team's policy, with before and after", async () => {
    const team = await newTeam();
    const first = await setTeamPolicy(
      env.DB,
      team.id,
      { rules: [{ id: "n", kind: "max_n", max: 2 }] },
      { by: "admin" },
    );
    expect(first.before).toBeNull();
    expect(first.after.policy).toMatchObject({ scope: { team_id: team.id }, record_prompt: false });
    const second = await setTeamPolicy(env.DB, team.id, { rules: [], record_prompt: true }, { by: "usr_1" });
    expect(second.before?.policy.rules).toHaveLength(1);
    expect(second.after).toMatchObject({
      updated_by: "usr_1",
      policy: { id: first.after.policy.id, rules: [] },
    });
    const removed = await removeTeamPolicy(env.DB, team.id);
    expect(removed.before?.policy.id).toBe(first.after.policy.id);
    expect(await getTeamPolicy(env.DB, team.id)).toBeNull();
    expect((await removeTeamPolicy(env.DB, team.id)).before).toBeNull();
  });
});

describe("policyForKey's cache", () => {
  /** env.DB, counting the statements prepared on it. */
  function countingDb(): { db: D1Database; reads: () => number } {
    let count = 0;
    const counted = {
      prepare: (sql: string) => {
        count++;
        return env.DB.prepare(sql);
      },
    };
    return { db: counted as unknown as D1Database, reads: () => count };
  }

  it("reads D1 once per key per TTL, for a key with a team's policy and for a key with no team", async () => {
    const { teamId } = await teamKey(RULES);
    const keyId = (
      await env.DB.prepare("SELECT id FROM api_keys WHERE team_id = ?").bind(teamId).first<{ id: string }>()
    )?.id;
    if (keyId === undefined) return expect.fail("no key for the team");
    const { db: counted, reads } = countingDb();
    const nowMs = Date.now();
    expect((await policyForKey(counted, keyId, nowMs))?.scope).toEqual({ team_id: teamId });
    expect(await policyForKey(counted, "key_none", nowMs)).toBeNull();
    for (let i = 0; i < 5; i++) {
      await policyForKey(counted, keyId, nowMs + 1_000);
      await policyForKey(counted, "key_none", nowMs + 1_000);
    }
    expect(reads()).toBe(2);
    await policyForKey(counted, keyId, nowMs + POLICY_CACHE_TTL_MS + 1);
    expect(reads()).toBe(3);
  });
});

describe("an async request", () => {
  it("is refused before a job is made", async () => {
    const { key } = await teamKey(RULES);
    const prompt = uniquePrompt("gore");
    const res = await generate(
      { prompt, steps: 4, negative_prompt: "nsfw" },
      { key, headers: { Prefer: "respond-async" } },
    );
    expect(await refusal(res, 403)).toMatchObject({ code: "policy_violation" });
    expect(await callsTo("healthy", prompt)).toEqual([]);
  });
});
