import type { DeprovisionedPerson, Person, PersonList } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { call } from "../../keys/testing.ts";
import { asAdmin, auditRowOf, expectJson, newTeam, person } from "./testing.ts";

const error = (body: Record<string, unknown>) => body.error as { code: string; param: string | null };

describe("people with the admin token", () => {
  it("shows a person with their groups and memberships, and finds them by email whatever its case", async () => {
    const team = await newTeam();
    const ada = await person({ role: "developer", team }, ["ml-eng"]);
    const shown = await expectJson<Person>(await asAdmin(`/admin/people/${ada.id}`), 200);
    expect(shown).toMatchObject({
      id: ada.id,
      issuer: "https://idp.test.example",
      email: ada.email,
      groups: ["ml-eng"],
      disabled_at: null,
      memberships: [{ team_id: team.id, team_name: team.name, role: "developer", source_group: null }],
    });
    const found = await expectJson<PersonList>(
      await asAdmin(`/admin/people?email=${encodeURIComponent(ada.email.toUpperCase())}`),
      200,
    );
    expect(found.data).toEqual([shown]);
  });

  it("pages through people newest first", async () => {
    await person();
    await person();
    const first = await expectJson<PersonList>(await asAdmin("/admin/people?limit=1"), 200);
    expect(first.data).toHaveLength(1);
    expect(first.next_cursor).not.toBeNull();
    const second = await expectJson<PersonList>(
      await asAdmin(`/admin/people?limit=1&cursor=${first.next_cursor}`),
      200,
    );
    expect(second.data[0]?.id).not.toBe(first.data[0]?.id);
    expect((second.data[0]?.created_at ?? "") <= (first.data[0]?.created_at ?? "")).toBe(true);
    const bad = await asAdmin("/admin/people?cursor=nope");
    expect(error(await expectJson(bad, 400)).param).toBe("cursor");
    expect(error(await expectJson(await asAdmin("/admin/people?limit=0"), 400)).param).toBe("limit");
  });

  it("answers 404 for a person that does not exist", async () => {
    expect((await asAdmin("/admin/people/usr_0123456789abcdef")).status).toBe(404);
    expect((await asAdmin("/admin/people/someone")).status).toBe(404);
    const res = await asAdmin("/admin/people/usr_0123456789abcdef/deprovision", { method: "POST" });
    expect(error(await expectJson(res, 404)).param).toBe("id");
  });
});

describe("deprovisioning a person", () => {
  it("ends their sessions at once and revokes the keys they made; enabling lets them sign in, keys stay revoked", async () => {
    const team = await newTeam();
    const dev = await person({ role: "developer", team });
    const made = await dev.call("/admin/keys", { method: "POST", json: { name: "dev's", team_id: team.id } });
    const key = await expectJson<{ id: string; key: string }>(made, 201);
    expect((await call("/v1/models", { key: key.key })).status).toBe(200);
    expect((await dev.call("/v1/me")).status).toBe(200);

    const res = await asAdmin(`/admin/people/${dev.id}/deprovision`, { method: "POST" });
    const done = await expectJson<DeprovisionedPerson>(res, 200);
    expect(done).toMatchObject({ sessions_revoked: 1, keys_revoked: [key.id], keys_reassigned: [] });
    expect(done.person.disabled_at).not.toBeNull();
    expect((await dev.call("/v1/me")).status).toBe(401);
    expect((await call("/v1/models", { key: key.key })).status).toBe(401);
    const row = await auditRowOf(res);
    expect(row).toMatchObject({
      action: "person.deprovision",
      before: { id: dev.id, disabled_at: null },
      after: { id: dev.id, disabled_at: done.person.disabled_at },
    });
    expect(row.detail).toMatchObject({ user_id: dev.id, keys_revoked: key.id, sessions_revoked: 1 });

    const again = await asAdmin(`/admin/people/${dev.id}/deprovision`, { method: "POST" });
    expect(await expectJson(again, 200)).toMatchObject({ sessions_revoked: 0, keys_revoked: [] });

    const enabled = await asAdmin(`/admin/people/${dev.id}/enable`, { method: "POST" });
    expect(await expectJson(enabled, 200)).toMatchObject({
      disabled_at: null,
      memberships: [{ team_id: team.id }],
    });
    expect(await auditRowOf(enabled)).toMatchObject({
      action: "person.enable",
      before: { disabled_at: done.person.disabled_at },
      after: { disabled_at: null },
    });
    expect((await call("/v1/models", { key: key.key })).status).toBe(401);
  });

  it("hands their keys to a team admin instead, and the keys keep working", async () => {
    const team = await newTeam();
    const dev = await person({ role: "developer", team });
    const lead = await person({ role: "team_admin", team });
    const made = await dev.call("/admin/keys", { method: "POST", json: { name: "kept", team_id: team.id } });
    const key = await expectJson<{ id: string; key: string }>(made, 201);
    const res = await asAdmin(`/admin/people/${dev.id}/deprovision`, {
      method: "POST",
      json: { reassign_keys_to: lead.id },
    });
    expect(await expectJson(res, 200)).toMatchObject({
      keys_revoked: [],
      keys_reassigned: [{ key_id: key.id, from: dev.id, to: lead.id }],
    });
    expect((await call("/v1/models", { key: key.key })).status).toBe(200);
    expect((await dev.call("/v1/me")).status).toBe(401);
  });

  it("refuses a successor who may not hold the keys, naming reassign_keys_to, and changes nothing", async () => {
    const team = await newTeam();
    const dev = await person({ role: "developer", team });
    const peer = await person({ role: "developer", team });
    await expectJson(
      await dev.call("/admin/keys", { method: "POST", json: { name: "k", team_id: team.id } }),
      201,
    );
    for (const successor of [peer.id, dev.id, "usr_0123456789abcdef"]) {
      const res = await asAdmin(`/admin/people/${dev.id}/deprovision`, {
        method: "POST",
        json: { reassign_keys_to: successor },
      });
      expect(error(await expectJson(res, 400)).param).toBe("reassign_keys_to");
    }
    const bad = await asAdmin(`/admin/people/${dev.id}/deprovision`, {
      method: "POST",
      json: { reassign_keys_to: "bob" },
    });
    expect(error(await expectJson(bad, 400)).param).toBe("reassign_keys_to");
    expect((await dev.call("/v1/me")).status).toBe(200);
  });

  it("takes members.manage everywhere: a team admin may not deprovision even their own team's member", async () => {
    const team = await newTeam();
    const lead = await person({ role: "team_admin", team });
    const dev = await person({ role: "developer", team });
    expect((await lead.call(`/admin/people/${dev.id}/deprovision`, { method: "POST" })).status).toBe(403);
    expect((await lead.call(`/admin/people/${dev.id}`)).status).toBe(403);
    const admin = await person({ role: "admin", team: "global" });
    const res = await admin.call(`/admin/people/${dev.id}/deprovision`, { method: "POST" });
    expect(res.status).toBe(200);
    expect((await auditRowOf(res)).actor).toBe(`user:${admin.id}`);
  });
});
