import { env } from "cloudflare:workers";
import { type KeyList, keyListSchema } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { asAdmin, expectJson, newTeam, person } from "../admin-people/testing.ts";

async function list(query: string): Promise<KeyList> {
  return strictly(keyListSchema).parse(await expectJson(await asAdmin(`/admin/keys?${query}`), 200));
}

/** Every key of a filtered listing, `limit` a page, following `next_cursor`; and how many pages it took. */
async function listAll(query: string, limit: number): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let cursor: string | null = null;
  do {
    const page: KeyList = await list(`${query}&limit=${limit}${cursor === null ? "" : `&cursor=${cursor}`}`);
    ids.push(...page.data.map((key) => key.id));
    pages.push(page.data.length);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return { ids, pages };
}

/** A team with five keys its developer made (one revoked, one expired), and a key of no team. */
async function seeded() {
  const team = await newTeam("key-filters");
  const maker = await person({ role: "developer", team });
  const tag = crypto.randomUUID().slice(0, 8);
  const make = async (name: string) => {
    const res = await maker.call("/admin/keys", { method: "POST", json: { name, team_id: team.id } });
    return (await expectJson<{ id: string; prefix: string }>(res, 201)).id;
  };
  const ids = [];
  for (const name of ["ci", "batch", "CI-nightly", "old", "gone"]) ids.push(await make(`${name} ${tag}`));
  const [, , , expired, revoked] = ids as [string, string, string, string, string];
  await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?")
    .bind("2020-01-01T00:00:00.000Z", expired)
    .run();
  expect((await asAdmin(`/admin/keys/${revoked}`, { method: "DELETE" })).status).toBe(200);
  const stray = await expectJson<{ id: string }>(
    await asAdmin("/admin/keys", { method: "POST", json: { name: `ci ${tag}` } }),
    201,
  );
  return { team, maker, tag, ids, expired, revoked, stray: stray.id };
}

describe("GET /admin/keys, filtered on the server", () => {
  it("pages through only the team's keys, each page full, the cursor going on under the filter", async () => {
    const { team, ids } = await seeded();
    const { ids: listed, pages } = await listAll(`team_id=${team.id}`, 2);
    expect(listed).toEqual([...ids].reverse());
    expect(pages).toEqual([2, 2, 1]);
  });

  it("filters by status, by text in the name, id or prefix (any case), and by who made the key", async () => {
    const { team, maker, tag, ids, expired, revoked, stray } = await seeded();
    const inTeam = `team_id=${team.id}`;
    const idsOf = async (query: string) => (await list(query)).data.map((key) => key.id);
    expect(await idsOf(`${inTeam}&status=revoked`)).toEqual([revoked]);
    expect(await idsOf(`${inTeam}&status=expired`)).toEqual([expired]);
    expect(await idsOf(`${inTeam}&status=active`)).toEqual([ids[2], ids[1], ids[0]]);
    // "CI <tag>" is in one of the team's names, whatever its case, and in the stray key's
    expect(await idsOf(`q=CI%20${tag}`)).toEqual([stray, ids[0]]);
    expect(await idsOf(`q=ci-NIGHTLY%20${tag}`)).toEqual([ids[2]]);
    expect(await idsOf(`q=${ids[1]}`)).toEqual([ids[1]]);
    expect(await idsOf(`created_by=${maker.id}&status=active&q=${tag}`)).toEqual([ids[2], ids[1], ids[0]]);
    const { ids: byMaker, pages } = await listAll(`created_by=${maker.id}`, 4);
    expect(byMaker).toEqual([...ids].reverse());
    expect(pages).toEqual([4, 1]);
  });

  it("refuses a bad filter with a 400 naming it", async () => {
    for (const [query, param] of [
      ["status=lost", "status"],
      ["team_id=search", "team_id"],
      ["created_by=bob", "created_by"],
      ["q=", "q"],
      [`q=${"x".repeat(101)}`, "q"],
    ]) {
      const res = await asAdmin(`/admin/keys?${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request", param } });
    }
  });
});
