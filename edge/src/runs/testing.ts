import type { Run, RunList } from "@sdgate/shared";
import { expect, vi } from "vitest";
import app from "../index.ts";
import { asAdmin, expectJson } from "../routes/admin-people/testing.ts";
import { edgeEnv } from "../test-support/harness.ts";

/** A new key of `teamId`, made by the admin. */
export async function teamKey(teamId: string): Promise<string> {
  const created = await expectJson<{ key: string }>(
    await asAdmin("/admin/keys", { method: "POST", json: { name: "history", team_id: teamId } }),
    201,
  );
  return created.key;
}

/** `GET /v1/runs{query}` with `key`, expecting a list. */
export async function runs(key: string, query = ""): Promise<RunList> {
  const res = await app.request(
    `/v1/runs${query}`,
    { headers: { authorization: `Bearer ${key}` } },
    edgeEnv(),
  );
  return expectJson<RunList>(res, 200);
}

/** The runs of `key`'s history whose prompt is one of `prompts`, once all are there. */
export async function waitForRuns(key: string, prompts: string[]): Promise<Run[]> {
  let found: Run[] = [];
  await vi.waitFor(async () => {
    found = (await runs(key)).data.filter((run) => prompts.includes(run.prompt));
    expect(found).toHaveLength(prompts.length);
  });
  return found;
}

/** A signed link's path and query, to request through the app in-process. */
export function pathOf(link: string | null | undefined): string {
  const url = new URL(link ?? "");
  return url.pathname + url.search;
}
