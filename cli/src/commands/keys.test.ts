import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../io.ts";
import { run } from "../run.ts";
import { loopbackServer, type Recorded, type Reply } from "../test-server.ts";

const TOKEN = "cli-test-admin-token-0123456789abcdef";

const KEY = {
  id: "key_0123456789abcdef",
  name: "ci",
  prefix: "sk_1a2b3c4d",
  scopes: ["generate"],
  limits: { requests_per_minute: 60, concurrency: 2, credits: 100000 },
  models: null,
  allowed_ips: null,
  metadata: {},
  created_at: "2026-11-26T00:00:00.000Z",
  expires_at: null,
  last_used_at: null,
  revoked_at: null,
  status: "active",
};
const SECRET = `sk_1a2b3c4d${"e".repeat(40)}`;

function reply(request: Recorded): Reply {
  if (request.headers.authorization !== `Bearer ${TOKEN}`) {
    return {
      status: 401,
      body: {
        error: {
          type: "authentication_error",
          code: "invalid_api_key",
          message: "Invalid admin token.",
          param: null,
        },
        request_id: "req_1",
      },
    };
  }
  if (request.method === "POST" && request.path === "/admin/keys")
    return { status: 201, body: { ...KEY, key: SECRET } };
  if (request.method === "GET" && request.path === "/admin/keys/key_0123456789abcdef")
    return {
      status: 200,
      body: {
        ...KEY,
        status: "active",
        remaining: { requests: 59, requests_reset_seconds: 1, concurrency: 2, in_flight: 0, credits: 99_980 },
      },
    };
  if (request.method === "GET" && request.path.startsWith("/admin/keys")) {
    return {
      status: 200,
      body: {
        object: "list",
        data: [
          { ...KEY, last_used_at: null, revoked_at: null, status: "active" },
          {
            ...KEY,
            id: "key_fedcba9876543210",
            name: "old",
            limits: { ...KEY.limits, credits: null },
            models: ["sd15", "sdxl"],
            expires_at: "2027-01-31T00:00:00.000Z",
            last_used_at: "2026-11-27T00:00:00.000Z",
            revoked_at: "2026-11-28T00:00:00.000Z",
            status: "revoked",
          },
        ],
        next_cursor: "abc",
      },
    };
  }
  if (request.method === "PATCH")
    return {
      status: 200,
      body: { ...KEY, name: "renamed", models: ["sd15"], expires_at: null, status: "active" },
    };
  if (request.method === "DELETE")
    return {
      status: 200,
      body: { ...KEY, revoked_at: "2026-11-28T00:00:00.000Z", status: "revoked", revoked: true },
    };
  if (request.path.endsWith("/rotate")) {
    return {
      status: 200,
      body: {
        ...KEY,
        key: SECRET,
        previous_key_expires_at: "2026-11-29T00:00:00.000Z",
        grace_seconds: 86400,
      },
    };
  }
  return {
    status: 404,
    body: {
      error: { code: "not_found", message: "No API key with id 'x'.", param: "id" },
      request_id: "req_2",
    },
  };
}

let server: Awaited<ReturnType<typeof loopbackServer>>;
beforeAll(async () => {
  server = await loopbackServer(reply);
});
afterAll(async () => {
  await server.close();
});

async function sdgate(
  args: string[],
  env: Record<string, string> = { SDGATE_URL: server.url, SDGATE_ADMIN_TOKEN: TOKEN },
) {
  let stdout = "";
  let stderr = "";
  const io: Io = { out: (t) => (stdout += t), err: (t) => (stderr += t), env, fetch: globalThis.fetch };
  const code = await run(args, io);
  return { code, stdout, stderr, request: server.requests.at(-1) };
}

describe("sdgate keys: requests", () => {
  it("create posts name, scopes and limits with the admin token", async () => {
    const { code, request, stdout } = await sdgate([
      "keys",
      "create",
      "--name",
      "ci",
      "--scope",
      "generate",
      "--scope",
      "read,admin",
      "--rpm",
      "60",
      "--concurrency",
      "2",
      "--credits",
      "100000",
    ]);
    expect(code).toBe(0);
    expect(request).toMatchObject({ method: "POST", path: "/admin/keys" });
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body).toEqual({
      name: "ci",
      scopes: ["generate", "read", "admin"],
      limits: { requests_per_minute: 60, concurrency: 2, credits: 100000 },
    });
    expect(stdout).toContain(SECRET);
    expect(stdout).toContain("60 rpm, 2 concurrent, 100000 credits");
  });

  it("create limits the key to --model models and sets its expiry from --expires-in or --expires-at", async () => {
    const before = Date.now();
    const limited = await sdgate([
      "keys",
      "create",
      "--name",
      "ci",
      "--model",
      "sd15",
      "--model",
      "sdxl,tiny",
      "--expires-in",
      "30d",
    ]);
    expect(limited.code).toBe(0);
    const body = limited.request?.body as { models: string[]; expires_at: string };
    expect(body.models).toEqual(["sd15", "sdxl", "tiny"]);
    const expiresMs = Date.parse(body.expires_at);
    expect(expiresMs).toBeGreaterThanOrEqual(before + 30 * 86_400_000);
    expect(expiresMs).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);

    const at = await sdgate(["keys", "create", "--name", "ci", "--expires-at", "2027-01-31T00:00:00Z"]);
    expect(at.request?.body).toMatchObject({ expires_at: "2027-01-31T00:00:00Z" });
    expect(at.request?.body).not.toHaveProperty("models");
    expect(at.request?.body).not.toHaveProperty("team_id");
  });

  it("create gives the key to a team with --team", async () => {
    const made = await sdgate(["keys", "create", "--name", "search-ci", "--team", "team_0123456789abcdef"]);
    expect(made.request?.body).toMatchObject({ name: "search-ci", team_id: "team_0123456789abcdef" });
  });

  it("refuses a malformed --expires-in, or both expiry options, before sending anything", async () => {
    for (const args of [
      ["--expires-in", "tomorrow"],
      ["--expires-in", "30"],
      ["--expires-in", "1d", "--expires-at", "2027-01-31T00:00:00Z"],
    ]) {
      const sent = server.requests.length;
      const { code, stderr } = await sdgate(["keys", "create", "--name", "ci", ...args]);
      expect(code).toBe(2);
      expect(server.requests.length).toBe(sent);
      expect(stderr).toMatch(/expires/);
    }
  });

  it("get shows one key and what is left of its limits", async () => {
    const { code, request, stdout } = await sdgate(["keys", "get", "key_0123456789abcdef"]);
    expect(code).toBe(0);
    expect(request).toMatchObject({ method: "GET", path: "/admin/keys/key_0123456789abcdef" });
    expect(stdout).toContain("key_0123456789abcdef (ci) · active · prefix sk_1a2b3c4d");
    expect(stdout).toContain(
      "Left now: 59 requests (full in 1 s), 2 concurrent (0 in flight), 99980 credits",
    );
  });

  it("update sends only what changes, with null for --all-models and --no-expiry", async () => {
    const { code, request, stdout } = await sdgate([
      "keys",
      "update",
      "key_0123456789abcdef",
      "--name",
      "renamed",
      "--rpm",
      "120",
      "--credits",
      "unlimited",
      "--all-models",
      "--no-expiry",
      "--any-ip",
    ]);
    expect(code).toBe(0);
    expect(request).toMatchObject({ method: "PATCH", path: "/admin/keys/key_0123456789abcdef" });
    expect(request?.body).toEqual({
      name: "renamed",
      limits: { requests_per_minute: 120, credits: null },
      models: null,
      expires_at: null,
      allowed_ips: null,
    });
    expect(stdout).toContain("Updated key_0123456789abcdef (renamed)");
    expect(stdout).toContain("Models: sd15 · expires never");

    const labelled = await sdgate([
      "keys",
      "create",
      "--name",
      "ci",
      "--label",
      "team=search",
      "--label",
      "cost_center=cc=42",
    ]);
    expect(labelled.request?.body).toMatchObject({ metadata: { team: "search", cost_center: "cc=42" } });
    const unlabelled = await sdgate(["keys", "update", "key_0123456789abcdef", "--no-labels"]);
    expect(unlabelled.request?.body).toEqual({ metadata: null });

    const fenced = await sdgate([
      "keys",
      "create",
      "--name",
      "ci",
      "--allow-ip",
      "10.0.0.0/8,192.0.2.7",
      "--allow-ip",
      "2001:db8::/32",
    ]);
    expect(fenced.request?.body).toMatchObject({ allowed_ips: ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"] });

    const narrowed = await sdgate([
      "keys",
      "update",
      "key_0123456789abcdef",
      "--model",
      "sd15",
      "--expires-in",
      "12h",
    ]);
    expect(narrowed.request?.body).toMatchObject({ models: ["sd15"], expires_at: expect.any(String) });
  });

  it("update refuses nothing to change, or two answers to one question, before sending", async () => {
    for (const args of [
      [],
      ["--model", "sd15", "--all-models"],
      ["--expires-in", "1d", "--no-expiry"],
      ["--allow-ip", "10.0.0.0/8", "--any-ip"],
      ["--label", "team=x", "--no-labels"],
      ["--label", "team"],
    ]) {
      const sent = server.requests.length;
      const { code, stderr } = await sdgate(["keys", "update", "key_0123456789abcdef", ...args]);
      expect(code).toBe(2);
      expect(server.requests.length).toBe(sent);
      expect(stderr).not.toBe("");
    }
  });

  it("list pages with limit and cursor; revoke and rotate name the key in the path", async () => {
    expect((await sdgate(["keys", "list", "--limit", "5", "--cursor", "xyz"])).request).toMatchObject({
      method: "GET",
      path: "/admin/keys?limit=5&cursor=xyz",
    });
    expect((await sdgate(["keys", "revoke", "key_0123456789abcdef"])).request).toMatchObject({
      method: "DELETE",
      path: "/admin/keys/key_0123456789abcdef",
    });
    const rotated = await sdgate(["keys", "rotate", "key_0123456789abcdef", "--grace", "3600"]);
    expect(rotated.request).toMatchObject({
      method: "POST",
      path: "/admin/keys/key_0123456789abcdef/rotate",
      body: { grace_seconds: 3600 },
    });
    expect(rotated.stdout).toContain("The previous secret works until 2026-11-29T00:00:00.000Z");
  });

  it("takes --url and --admin-token over the environment", async () => {
    const { code, request } = await sdgate(["keys", "list", "--url", server.url, "--admin-token", TOKEN], {
      SDGATE_URL: "http://127.0.0.1:1",
      SDGATE_ADMIN_TOKEN: "wrong",
    });
    expect(code).toBe(0);
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("reaches an edge mounted under a base path", async () => {
    const mounted = await loopbackServer(() => ({
      status: 200,
      body: { object: "list", data: [], next_cursor: null },
    }));
    try {
      const env = { SDGATE_URL: `${mounted.url}/sdgate`, SDGATE_ADMIN_TOKEN: TOKEN };
      expect((await sdgate(["keys", "list", "--limit", "10"], env)).code).toBe(0);
      expect(mounted.requests.map((request) => request.path)).toEqual(["/sdgate/admin/keys?limit=10"]);
    } finally {
      await mounted.close();
    }
  });
});

describe("sdgate keys list: filters", () => {
  it("sends them to the server and repeats them with the next page's cursor", async () => {
    const { code, request, stdout } = await sdgate([
      "keys",
      "list",
      "--team",
      "team_0123456789abcdef",
      "--status",
      "active",
      "--search",
      "ci nightly",
      "--created-by",
      "usr_0123456789abcdef",
    ]);
    expect(code).toBe(0);
    const url = new URL(request?.path ?? "", "http://edge");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      team_id: "team_0123456789abcdef",
      status: "active",
      q: "ci nightly",
      created_by: "usr_0123456789abcdef",
    });
    expect(stdout.trim().split("\n").at(-1)).toBe(
      'More: sdgate keys list --team team_0123456789abcdef --status active --search "ci nightly" --created-by usr_0123456789abcdef --cursor abc',
    );
  });

  it("refuses a status that is none, before asking the server", async () => {
    const { code, stderr } = await sdgate(["keys", "list", "--status", "lost"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--status must be one of active, revoked, expired.");
  });
});

describe("sdgate keys: output", () => {
  it("lists keys as a table", async () => {
    const { stdout } = await sdgate(["keys", "list"]);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(
      /^ID\s+NAME\s+PREFIX\s+SCOPES\s+RPM\s+CONCURRENCY\s+CREDITS\s+MODELS\s+CREATED\s+EXPIRES\s+LAST USED\s+STATUS$/,
    );
    expect(lines[1]).toMatch(
      /^key_0123456789abcdef\s+ci\s+sk_1a2b3c4d\s+generate\s+60\s+2\s+100000\s+all\s+\S+\s+never\s+never\s+active$/,
    );
    expect(lines[2]).toMatch(/\s-\s+sd15,sdxl\s+\S+\s+2027-01-31T00:00:00.000Z\s.*revoked$/);
    expect(lines[3]).toBe("More: sdgate keys list --cursor abc");
  });

  it("prints the API's JSON with --json", async () => {
    const { stdout } = await sdgate(["keys", "create", "--name", "ci", "--json"]);
    expect(JSON.parse(stdout)).toEqual({ ...KEY, key: SECRET });
  });
});

describe("sdgate: errors", () => {
  it("reports the API's message and exits 1", async () => {
    const { code, stderr, stdout } = await sdgate(["keys", "list", "--admin-token", "nope"]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toContain("Invalid admin token. (request req_1)");
    expect(stderr).not.toContain("nope");
  });

  it("reports an unreachable edge and exits 1", async () => {
    const { code, stderr } = await sdgate(["keys", "list"], {
      SDGATE_URL: "http://127.0.0.1:1",
      SDGATE_ADMIN_TOKEN: TOKEN,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/Could not reach http:\/\/127\.0\.0\.1:1/);
  });

  it("reports an answer it cannot read (an edge of another version) and exits 1", async () => {
    const odd = await loopbackServer(() => ({ status: 200, body: { object: "list" } }));
    try {
      const { code, stderr } = await sdgate(["keys", "list"], {
        SDGATE_URL: odd.url,
        SDGATE_ADMIN_TOKEN: TOKEN,
      });
      expect(code).toBe(1);
      expect(stderr).toMatch(/^sdgate keys: The 200 answer is not the shape/);
    } finally {
      await odd.close();
    }
  });

  it.each([
    [["keys", "create"], /needs --name/],
    [["keys", "create", "--name", "x", "--rpm", "0"], /--rpm must be a whole number ≥ 1/],
    [["keys", "revoke"], /needs a key id/],
    [["keys", "rotate", "key_1", "--grace", "soon"], /--grace must be a whole number/],
    [["keys", "list", "--bogus"], /Unknown option '--bogus'/],
    [["keys", "destroy"], /Unknown command 'keys destroy'/],
    [["imagine"], /unknown command 'imagine'/],
  ])("%j is a usage error: exit 2 with the usage", async (args, message) => {
    const { code, stderr } = await sdgate(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/Usage: sdgate/);
  });

  it("says where to find the URL and token when neither is set", async () => {
    const { code, stderr } = await sdgate(["keys", "list"], {});
    expect(code).toBe(2);
    expect(stderr).toMatch(/SDGATE_URL/);
  });

  it("prints help", async () => {
    const top = await sdgate(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/keys\s+create, list, revoke and rotate API keys/);
    const keys = await sdgate(["keys", "--help"]);
    expect(keys.stdout).toMatch(/sdgate keys rotate <key id>/);
  });
});
