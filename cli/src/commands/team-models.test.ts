import { describe, expect, it } from "vitest";
import { cliAgainst, TEAM } from "./directory-testing.ts";

const PATH = `/admin/teams/${TEAM.id}/models`;

const { sdgate } = cliAgainst((request) => {
  const models = request.method === "PUT" ? (request.body as { models: string[] | null }).models : ["sd15"];
  return { status: 200, body: { object: "team.models", team_id: TEAM.id, models } };
});

describe("sdgate teams models", () => {
  it("shows what the team may use", async () => {
    const shown = await sdgate(["teams", "models", TEAM.id]);
    expect(shown.request).toMatchObject({ method: "GET", path: PATH });
    expect(shown.stdout).toBe(`${TEAM.id} may use sd15.\n`);
  });

  it("grants a list, every model or none", async () => {
    const set = await sdgate([
      "teams",
      "models",
      TEAM.id,
      "--set",
      "sd15@production,sdxl",
      "--set",
      "tiny@v3",
    ]);
    expect(set.request).toMatchObject({
      method: "PUT",
      path: PATH,
      body: { models: ["sd15@production", "sdxl", "tiny@v3"] },
    });
    expect(set.stdout).toContain("may use sd15@production, sdxl, tiny@v3.");
    const all = await sdgate(["teams", "models", TEAM.id, "--all"]);
    expect(all.request).toMatchObject({ body: { models: null } });
    expect(all.stdout).toContain("may use every model.");
    const none = await sdgate(["teams", "models", TEAM.id, "--none", "--json"]);
    expect(JSON.parse(none.stdout)).toMatchObject({ models: [] });
  });

  it("refuses conflicting or empty options before any request", async () => {
    for (const args of [["--all", "--none"], ["--set", "sd15", "--all"], ["--set", "sd15,"], []]) {
      const refused = await sdgate(["teams", "models", ...(args.length === 0 ? [] : [TEAM.id]), ...args]);
      expect(refused.code, args.join(" ")).toBe(2);
    }
  });
});
