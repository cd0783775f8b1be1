import type { Role } from "@sdgate/shared";
import { expect } from "vitest";
import { addMember, type Team } from "../../identity/directory/index.ts";
import { db, identity, newTeam, signedIn, unique } from "../../identity/directory/testing.ts";
import { createSession } from "../../identity/sessions/index.ts";
import { call } from "../../keys/testing.ts";

/** Test helpers for the admin API on people, teams and role mappings. Every name here is fresh. */
export { db, newTeam, unique };

/** A person signed in with a session: their cookie, and a `call` as them (state changes from this origin). */
export interface TestPerson {
  id: string;
  email: string;
  groups: string[];
  cookie: string;
  call: (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response>;
}

/**
 * A person in `groups`, signed in with a session, given `role` by hand in `team` (a team role) or
 * everywhere (`"global"`), or nothing (`null`).
 */
export async function person(
  grant: { role: Role; team: Team | "global" } | null = null,
  groups: string[] = [],
): Promise<TestPerson> {
  const { user } = await signedIn(identity(groups));
  if (grant !== null) {
    const added = await addMember(db, {
      user_id: user.id,
      team_id: grant.team === "global" ? null : grant.team.id,
      role: grant.role,
    });
    if (!added.ok) expect.fail(`person: ${added.error}`);
  }
  const session = await createSession(db, user.id, { userAgent: "test", ip: "192.0.2.1" });
  if (!session.ok) expect.fail(`person: ${session.error}`);
  const cookie = `sdgate_session=${session.value.secret}`;
  return {
    id: user.id,
    email: user.email ?? "",
    groups,
    cookie,
    call: (path, init = {}) => {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      headers.set("Cookie", cookie);
      headers.set("Sec-Fetch-Site", "same-origin");
      return call(path, { ...rest, headers, ...(json === undefined ? {} : { body: JSON.stringify(json) }) });
    },
  };
}

/** A request with the admin token and, optionally, a JSON body. */
export function asAdmin(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, ...rest } = init;
  return call(path, { ...rest, admin: true, ...(json === undefined ? {} : { body: JSON.stringify(json) }) });
}

/** Expects `res` to have `status`, and answers its JSON. */
export async function expectJson<T = Record<string, unknown>>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

export interface AuditedRow {
  actor: string;
  action: string;
  status: number;
  detail: Record<string, string | number | boolean | null>;
}

/** The audit row the request that answered `res` left (found by its request id). */
export async function auditRowOf(res: Response): Promise<AuditedRow & { before: unknown; after: unknown }> {
  const requestId = res.headers.get("X-Request-Id");
  const page = await expectJson<{ data: AuditedRow[] }>(
    await call("/admin/audit?limit=500", { admin: true }),
    200,
  );
  const row = page.data.find((r) => r.detail?.request_id === requestId);
  if (!row) return expect.fail(`no audit row for request ${requestId}`);
  const parsed = (value: unknown) => (typeof value === "string" ? (JSON.parse(value) as unknown) : value);
  return { ...row, before: parsed(row.detail.before), after: parsed(row.detail.after) };
}
