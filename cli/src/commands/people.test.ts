import { describe, expect, it } from "vitest";
import { apiError, cliAgainst, PERSON } from "./directory-testing.ts";

const { sdgate } = cliAgainst((request) => {
  if (request.path.startsWith("/admin/people?"))
    return {
      status: 200,
      body: {
        object: "list",
        data: [PERSON, { ...PERSON, id: "usr_fedcba9876543210", memberships: [] }],
        next_cursor: "c2",
      },
    };
  if (request.path === `/admin/people/${PERSON.id}/deprovision`)
    return {
      status: 200,
      body: {
        person: { ...PERSON, disabled_at: "2026-12-03T00:00:00.000Z" },
        sessions_revoked: 2,
        keys_revoked: ["key_0123456789abcdef"],
        keys_reassigned: [],
      },
    };
  if (request.path === `/admin/people/${PERSON.id}/enable`) return { status: 200, body: PERSON };
  if (request.path === `/admin/people/${PERSON.id}`) return { status: 200, body: PERSON };
  return apiError(404, "not_found", "No person with id 'usr_0000000000000000'.", "id");
});

describe("sdgate people", () => {
  it("list shows a table of people and their roles, and passes --email", async () => {
    const { code, stdout, request } = await sdgate([
      "people",
      "list",
      "--email",
      "ada@example.com",
      "--limit",
      "2",
    ]);
    expect(code).toBe(0);
    expect(request).toMatchObject({ method: "GET", path: "/admin/people?limit=2&email=ada%40example.com" });
    expect(stdout).toMatch(/^ID\s+EMAIL\s+NAME\s+ROLES\s+LAST SIGN-IN\s+STATUS$/m);
    expect(stdout).toMatch(
      /usr_0123456789abcdef\s+ada@example.com\s+Ada\s+developer@Search\s+2026-12-02T00:00:00.000Z\s+active/,
    );
    expect(stdout).toContain("More: sdgate people list --cursor c2");
  });

  it("show prints identity, groups and each role with where it applies", async () => {
    const { code, stdout } = await sdgate(["people", "show", PERSON.id]);
    expect(code).toBe(0);
    expect(stdout).toContain("Identity: ada-1 at https://idp.example");
    expect(stdout).toContain("Groups: ml-eng");
    expect(stdout).toContain("Role: developer in Search (team_0123456789abcdef)");
  });

  it("deprovision sends the successor and reports sessions ended and keys revoked", async () => {
    const handed = await sdgate([
      "people",
      "deprovision",
      PERSON.id,
      "--reassign-keys-to",
      "usr_fedcba9876543210",
    ]);
    expect(handed.request).toMatchObject({
      method: "POST",
      path: `/admin/people/${PERSON.id}/deprovision`,
      body: { reassign_keys_to: "usr_fedcba9876543210" },
    });
    const { code, stdout, request } = await sdgate(["people", "deprovision", PERSON.id]);
    expect(code).toBe(0);
    expect(request?.body).toEqual({});
    expect(stdout).toContain("2 sessions ended");
    expect(stdout).toContain("Keys revoked: key_0123456789abcdef");
  });

  it("enable, and --json prints the API's answer", async () => {
    const { code, stdout, request } = await sdgate(["people", "enable", PERSON.id, "--json"]);
    expect(code).toBe(0);
    expect(request).toMatchObject({ method: "POST", path: `/admin/people/${PERSON.id}/enable` });
    expect(JSON.parse(stdout)).toEqual(PERSON);
  });

  it("a missing id is a usage error (exit 2) before any request; an API error exits 1 with its message", async () => {
    const missing = await sdgate(["people", "show"]);
    expect(missing).toMatchObject({ code: 2, request: undefined });
    expect(missing.stderr).toContain("people show needs a person's id");
    const unknown = await sdgate(["people", "show", "usr_0000000000000000"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("No person with id");
    expect((await sdgate(["people", "fire", PERSON.id])).code).toBe(2);
  });
});
