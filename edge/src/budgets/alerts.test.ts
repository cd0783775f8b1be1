import { env } from "cloudflare:workers";
import { budgetAlertSchema, isSdgateError } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { edgeEnv, generate, uniquePrompt } from "../test-support/harness.ts";
import { deliveries, waitForDeliveries } from "../test-support/jobs-harness.ts";
import type { RecordedDelivery } from "../test-support/stream-fakes.ts";
import { verifyWebhook } from "../webhooks/signature.ts";
import { budgetAlertSecret } from "./alert.ts";
import { resetDayOf } from "./month.ts";
import { setTeamBudget } from "./service.ts";
import { budgetConfig, createTeam, keyOfTeam, teamWithBudget } from "./testing.ts";

const receiver = (name: string) => `${env.STREAM_FAKES.webhooks}/hooks/${name}`;

async function verified(delivery: RecordedDelivery, teamId: string) {
  const secret = await budgetAlertSecret(env.SDGATE_WEBHOOK_SECRET as string, teamId);
  expect(await verifyWebhook(secret, new Headers(delivery.headers), delivery.body)).toBe(true);
  return budgetAlertSchema.parse(JSON.parse(delivery.body));
}

/** The deliveries for `name` once they have stopped coming (nothing new for half a second). */
async function settledDeliveries(name: string, atLeast: number): Promise<RecordedDelivery[]> {
  await waitForDeliveries(name, atLeast);
  for (;;) {
    const before = (await deliveries(name)).length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await deliveries(name);
    if (after.length === before) return after;
  }
}

describe("budget alerts", () => {
  it("tell the team's receiver once when its spend crosses the soft threshold, and once at the first refusal", async () => {
    const name = `budget-${crypto.randomUUID()}`;
    const team = await teamWithBudget({
      monthly_credits: 100,
      soft_percent: 80,
      alert_webhook_url: receiver(name),
    });
    const key = await keyOfTeam(team.id);
    const testEnv = edgeEnv();
    const run = (steps: number) =>
      generate({ prompt: uniquePrompt(), steps }, { key: key.key, env: testEnv });
    // 30 + 30 + 30: the third crosses 80; 10 more fit; then two refusals.
    for (const steps of [30, 30, 30, 10]) expect((await run(steps)).status).toBe(200);
    expect((await run(5)).status).toBe(402);
    expect((await run(5)).status).toBe(402);

    const received = await settledDeliveries(name, 2);
    expect(received).toHaveLength(2);
    const alerts = await Promise.all(received.map((delivery) => verified(delivery, team.id)));
    const soft = alerts.find((alert) => alert.type === "budget.soft_limit");
    const resets = resetDayOf(Date.now());
    expect(soft).toMatchObject({
      text: `sdgate: team ${team.name} has used 90% of its 100 monthly credits (90); resets ${resets}`,
      budget: "team",
      team_id: team.id,
      key_id: key.id,
      limit: 100,
      spent: 90,
      percent: 90,
      soft_percent: 80,
    });
    expect(alerts.find((alert) => alert.type === "budget.exhausted")).toMatchObject({
      text: `sdgate: team ${team.name} has used up its 100 monthly credits (100); new generations are refused until ${resets}`,
      spent: 100,
      percent: 100,
    });
    // Standard Webhooks message ids, the same for any copy of one month's alert.
    expect(received.map((delivery) => delivery.headers["webhook-id"]).sort()).toEqual([
      `msg_budget_${team.id}_${soft?.month}_exhausted`,
      `msg_budget_${team.id}_${soft?.month}_soft`,
    ]);
  });

  it("send a key's own budget alerts to its team's receiver, naming the key", async () => {
    const name = `key-budget-${crypto.randomUUID()}`;
    const team = await teamWithBudget({ monthly_credits: null, alert_webhook_url: receiver(name) });
    const key = await keyOfTeam(team.id, { monthly_credits: 10, soft_percent: 50 });
    const testEnv = edgeEnv();
    expect(
      (await generate({ prompt: uniquePrompt(), steps: 6 }, { key: key.key, env: testEnv })).status,
    ).toBe(200);
    expect(
      (await generate({ prompt: uniquePrompt(), steps: 6 }, { key: key.key, env: testEnv })).status,
    ).toBe(402);
    const alerts = await Promise.all((await settledDeliveries(name, 2)).map((d) => verified(d, team.id)));
    expect(alerts.map((alert) => alert.type).sort()).toEqual(["budget.exhausted", "budget.soft_limit"]);
    expect(alerts.find((alert) => alert.type === "budget.soft_limit")).toMatchObject({
      text: `sdgate: API key ${key.id} of team ${team.name} has used 60% of its 10 monthly credits (6); resets ${resetDayOf(Date.now())}`,
      budget: "key",
      key_id: key.id,
      team_id: team.id,
    });
  });

  it("are tried again when the receiver fails", async () => {
    // The receiver answers 503 to a `flaky…` name the first time.
    const name = `flaky-budget-${crypto.randomUUID()}`;
    const team = await teamWithBudget({
      monthly_credits: 10,
      soft_percent: 50,
      alert_webhook_url: receiver(name),
    });
    const key = await keyOfTeam(team.id);
    expect(
      (await generate({ prompt: uniquePrompt(), steps: 6 }, { key: key.key, env: edgeEnv() })).status,
    ).toBe(200);
    const received = await waitForDeliveries(name, 2);
    expect(received.map((delivery) => delivery.status)).toEqual([503, 204]);
    expect(received[0]?.body).toBe(received[1]?.body);
  });
});

describe("setTeamBudget", () => {
  it("answers the budget before and after, and null for a team that does not exist", async () => {
    const team = await createTeam();
    const config = budgetConfig();
    const first = await setTeamBudget(config, team.id, {
      monthly_credits: 1_000,
      soft_percent: 80,
      alert_webhook_url: null,
    });
    expect(first).toMatchObject({ before: null, after: { team_id: team.id, monthly_credits: 1_000 } });
    const second = await setTeamBudget(config, team.id, {
      monthly_credits: 2_000,
      soft_percent: 90,
      alert_webhook_url: receiver("x"),
    });
    expect(second?.before).toEqual(first?.after);
    expect(second?.after).toMatchObject({
      monthly_credits: 2_000,
      soft_percent: 90,
      alert_webhook_url: receiver("x"),
    });
    expect((await env.TEAM_BUDGET.getByName(team.id).usage()).config).toMatchObject({
      teamName: team.name,
      monthlyCredits: 2_000,
    });
    const settings = { monthly_credits: 1, soft_percent: 80, alert_webhook_url: null };
    expect(await setTeamBudget(config, "team_0000000000000000", settings)).toBeNull();
  });

  it("refuses an alert URL the edge may not call, naming alert_webhook_url", async () => {
    const team = await createTeam();
    for (const url of [
      "http://example.com/hook",
      "https://10.0.0.1/hook",
      "https://169.254.169.254/",
      "not a url",
    ]) {
      const error = await setTeamBudget(budgetConfig(), team.id, {
        monthly_credits: 1,
        soft_percent: 80,
        alert_webhook_url: url,
      }).catch((thrown: unknown) => thrown);
      expect(isSdgateError(error) && error.status).toBe(400);
      expect(isSdgateError(error) && error.param).toBe("alert_webhook_url");
      expect(isSdgateError(error) && error.message).toMatch(/^alert_webhook_url /);
    }
    // Nothing was stored.
    const row = await env.DB.prepare("SELECT * FROM budgets WHERE team_id = ?").bind(team.id).first();
    expect(row).toBeNull();
  });
});
