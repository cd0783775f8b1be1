import { describe, expect, it } from "vitest";
import { cliAgainst, TEAM } from "./directory-testing.ts";

const PATH = `/admin/teams/${TEAM.id}/budget`;
const USAGE = {
  month: "2026-12",
  spent: 600,
  reserved: 150,
  remaining: 250,
  resets_at: "2027-01-01T00:00:00.000Z",
};

function status(budget: Record<string, unknown> | null) {
  return { status: 200, body: { object: "team.budget", team_id: TEAM.id, budget, usage: USAGE } };
}

const { sdgate } = cliAgainst((request) => {
  const body = request.body as { monthly_credits: number; soft_percent?: number } | null;
  if (request.method === "PUT")
    return status({
      team_id: TEAM.id,
      monthly_credits: body?.monthly_credits,
      soft_percent: body?.soft_percent ?? 80,
      alert_webhook_url: null,
      updated_at: "2026-12-06T00:00:00.000Z",
    });
  if (request.method === "DELETE") return status(null);
  return status({
    team_id: TEAM.id,
    monthly_credits: 1000,
    soft_percent: 80,
    alert_webhook_url: "https://hooks.slack.com/services/T/B/x",
    updated_at: "2026-12-06T00:00:00.000Z",
  });
});

describe("sdgate teams budget", () => {
  it("shows the month as a bar of spent and held credits against the limit", async () => {
    const shown = await sdgate(["teams", "budget", TEAM.id]);
    expect(shown.code).toBe(0);
    expect(shown.request).toMatchObject({ method: "GET", path: PATH });
    expect(shown.stdout).toContain(
      "1000 credits a month; alert at 80% to https://hooks.slack.com/services/T/B/x",
    );
    expect(shown.stdout).toMatch(/2026-12\s+█+\S*\s750 of 1000 \(75%\): 600 spent, 150 held, 250 left/);
  });

  it("sets and removes it", async () => {
    const set = await sdgate(["teams", "budget", TEAM.id, "--set", "5000", "--soft", "50"]);
    expect(set.request).toMatchObject({
      method: "PUT",
      path: PATH,
      body: { monthly_credits: 5000, soft_percent: 50 },
    });
    expect(set.stdout).toContain("5000 credits a month; alert at 50% (no receiver)");
    const removed = await sdgate(["teams", "budget", TEAM.id, "--remove"]);
    expect(removed.request).toMatchObject({ method: "DELETE", path: PATH });
    expect(removed.stdout).toContain("no budget; 600 credits spent in 2026-12");
  });

  it("refuses a bad command line before any request", async () => {
    for (const args of [
      ["--set", "-5"],
      ["--set", "10", "--soft", "120"],
      ["--soft", "50"],
      ["--set", "10", "--remove"],
    ]) {
      const refused = await sdgate(["teams", "budget", TEAM.id, ...args]);
      expect(refused.code, args.join(" ")).toBe(2);
      expect(refused.request).toBeUndefined();
    }
  });
});
