import { env } from "cloudflare:workers";
import { type OperationAccess, sha256Hex } from "@sdgate/shared";
import { beforeAll, describe, expect, it } from "vitest";
import app from "../index.ts";
import { fleetEnv } from "../test-support/fleet.ts";
import { type ApiKeyRecord, apiKeyRecordKey, scopeGranted } from "./api-key.ts";
import { ROUTE_ACCESS } from "./route-scopes.ts";
import { ADMIN_TOKEN } from "./testing.ts";

/** Hono's route path as an OpenAPI template: `:id` and `:id{regex}` become `{id}`. */
function template(path: string): string {
  return path.replace(/:([A-Za-z_]+)(\{(?:[^{}]|\{[^{}]*\})*\})?/g, "{$1}");
}

const registered = [
  ...new Set(
    app.routes.filter((route) => route.method !== "ALL").map((r) => `${r.method} ${template(r.path)}`),
  ),
];

// A concrete request for each route: ids shaped as the routes expect (no such job, key, image, person,
// team or role mapping).
const SAMPLE_IDS: Record<string, string> = {
  "/v1/images/{id}": `${"0".repeat(32)}-${"a".repeat(64)}-0.png`,
  "/v1/jobs/{id}": `job_${"0".repeat(32)}`,
  "/admin/keys/{id}": "key_0000000000000000",
  "/admin/people/{id}": "usr_0000000000000000",
  "/admin/teams/{id}": "team_0000000000000000",
  "/admin/role-mappings/{id}": "map_0000000000000000",
};
const SAMPLE_USER_ID = "usr_0000000000000000";
const BODIES: Record<string, unknown> = {
  "POST /v1/images/generations": { prompt: "a red square", seed: 7 },
  "POST /v1/estimate": { prompt: "a red square" },
  "POST /v1/prompts/tokenize": { model: "tiny", prompt: "a red square" },
  "POST /admin/keys": { name: "walk" },
  "PATCH /admin/keys/{id}": { name: "walk" },
  "POST /admin/teams": { name: "walk" },
  "PATCH /admin/teams/{id}": { name: "walk" },
  "POST /admin/teams/{id}/members": { user_id: SAMPLE_USER_ID, role: "viewer" },
  "PATCH /admin/teams/{id}/members/{user_id}": { role: "viewer" },
  "POST /admin/role-mappings": { idp_group: "walk", role: "viewer" },
  "PATCH /admin/role-mappings/{id}": { role: "viewer" },
  "POST /admin/groups/deprovision": { idp_group: "walk-nobody" },
  // Refused after the key's scope is checked (no styles in sdgate): no generation runs.
  "POST /sdapi/v1/txt2img": { prompt: "a red square", styles: ["walk"] },
  "POST /sdapi/v1/img2img": { prompt: "a red square", styles: ["walk"] },
  "POST /sdapi/v1/options": {},
  "POST /sdapi/v1/png-info": { image: "iVBORw0KGgo=" },
};

function requestFor(route: string, authorization: string | null): Request {
  const [method = "GET", routePath = ""] = route.split(" ");
  const path = routePath.replace("{user_id}", SAMPLE_USER_ID);
  const prefix = Object.keys(SAMPLE_IDS).find((p) => path.startsWith(p));
  const url = prefix === undefined ? path : path.replace("{id}", SAMPLE_IDS[prefix] as string);
  const headers = new Headers({ "CF-Connecting-IP": "192.0.2.200" });
  if (authorization !== null) headers.set("Authorization", authorization);
  const body = BODIES[route];
  if (body !== undefined) headers.set("Content-Type", "application/json");
  return new Request(`http://edge${url}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

// Every combination of the scopes, and a key made when `admin` was still a scope.
const SCOPE_SETS: string[][] = [[], ["read"], ["generate"], ["generate", "read"], ["admin"]];
const keys = new Map<string, string>();

beforeAll(async () => {
  for (const scopes of SCOPE_SETS) {
    const key = `sk_test_${crypto.randomUUID().replaceAll("-", "")}`;
    const record: ApiKeyRecord = {
      id: `key_${crypto.randomUUID().slice(0, 8)}`,
      name: `scopes ${scopes.join(",")}`,
      scopes,
      created_at: new Date().toISOString(),
      limits: { requests_per_minute: 100_000, concurrency: 1_000, credits: null },
    };
    await env.API_KEYS.put(apiKeyRecordKey(await sha256Hex(key)), JSON.stringify(record));
    keys.set(scopes.join(","), key);
  }
});

// A1111's routes answer A1111's error shape, whose `error` is the code itself (sdapi/errors.ts).
const codeOf = (error: string | { code?: string } | undefined) =>
  (typeof error === "string" ? error : error?.code) ?? null;

async function answer(route: string, authorization: string | null) {
  const res = await app.request(requestFor(route, authorization), undefined, fleetEnv(["healthy"]));
  const text = await res.text();
  const code = res.headers.get("Content-Type")?.includes("json")
    ? codeOf((JSON.parse(text) as { error?: string | { code?: string } } | null)?.error)
    : null;
  return { status: res.status, code };
}

describe("every route states the access it needs", () => {
  it("has an entry in ROUTE_ACCESS for each registered route, and no entry for a route that is gone", () => {
    expect(registered.filter((route) => !(route in ROUTE_ACCESS))).toEqual([]);
    expect(Object.keys(ROUTE_ACCESS).filter((route) => !registered.includes(route))).toEqual([]);
  });

  it.each(Object.entries(ROUTE_ACCESS) as Array<[string, OperationAccess]>)(
    "%s enforces its entry for every scope",
    async (route, access) => {
      const anonymous = await answer(route, null);
      if (access.kind === "public" || access.kind === "signed_link" || access.kind === "browser") {
        expect([401, 403]).not.toContain(anonymous.status);
        return;
      }
      expect(anonymous.status).toBe(401);
      for (const scopes of SCOPE_SETS) {
        const key = keys.get(scopes.join(",")) as string;
        const seen = await answer(route, `Bearer ${key}`);
        const what = `${route} with [${scopes.join(",")}]`;
        if (access.kind === "admin_token" || access.kind === "session") {
          expect(seen.status, what).toBe(401);
        } else if (access.kind === "any_credential" || scopeGranted(scopes, access.scope)) {
          expect([401, 403], what).not.toContain(seen.status);
        } else {
          expect(seen, what).toEqual({ status: 403, code: "insufficient_scope" });
        }
      }
      const admin = await answer(route, `Bearer ${ADMIN_TOKEN}`);
      if (access.kind === "admin_token" || access.kind === "any_credential") {
        expect([401, 403]).not.toContain(admin.status);
      } else {
        expect(admin.status, `${route} with the admin token`).toBe(401);
      }
    },
  );
});
