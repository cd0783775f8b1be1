import { afterAll, beforeAll } from "vitest";
import type { Io } from "../io.ts";
import { run } from "../run.ts";
import { loopbackServer, type Recorded, type Reply } from "../test-server.ts";

/** Test helpers for the people, teams and role-mappings commands. */
export const TOKEN = "cli-test-admin-token-0123456789abcdef";
export const TEAM = { id: "team_0123456789abcdef", name: "Search", created_at: "2026-12-01T00:00:00.000Z" };
export const MEMBERSHIP = {
  user_id: "usr_0123456789abcdef",
  team_id: TEAM.id,
  team_name: TEAM.name,
  role: "developer",
  source_group: null as string | null,
  created_at: "2026-12-01T00:00:00.000Z",
};
export const PERSON = {
  id: "usr_0123456789abcdef",
  issuer: "https://idp.example",
  subject: "ada-1",
  email: "ada@example.com",
  name: "Ada",
  groups: ["ml-eng"],
  created_at: "2026-12-01T00:00:00.000Z",
  last_sign_in_at: "2026-12-02T00:00:00.000Z",
  disabled_at: null as string | null,
  memberships: [MEMBERSHIP],
};

export function apiError(status: number, code: string, message: string, param: string | null = null): Reply {
  return {
    status,
    body: { error: { type: "invalid_request_error", code, message, param }, request_id: "req_1" },
  };
}

/**
 * A loopback edge answering `reply` (after checking the admin token) for this test file, and a
 * runner of `sdgate` against it that answers the exit code, what was printed and the last request.
 */
export function cliAgainst(reply: (request: Recorded) => Reply) {
  let server: Awaited<ReturnType<typeof loopbackServer>>;
  beforeAll(async () => {
    server = await loopbackServer((request) =>
      request.headers.authorization === `Bearer ${TOKEN}`
        ? reply(request)
        : apiError(401, "invalid_api_key", "Invalid admin token."),
    );
  });
  afterAll(async () => {
    await server.close();
  });
  return {
    requests: () => server.requests,
    async sdgate(args: string[]) {
      let stdout = "";
      let stderr = "";
      const io: Io = {
        out: (t) => (stdout += t),
        err: (t) => (stderr += t),
        env: { SDGATE_URL: server.url, SDGATE_ADMIN_TOKEN: TOKEN },
        fetch: globalThis.fetch,
      };
      const sent = server.requests.length;
      const code = await run(args, io);
      const request = server.requests.length > sent ? server.requests.at(-1) : undefined;
      return { code, stdout, stderr, request };
    },
  };
}
