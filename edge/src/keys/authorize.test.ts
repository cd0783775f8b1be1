import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import app from "../index.ts";
import type { Envelope } from "../test-support/harness.ts";
import { jobsEnv, seedJobKey } from "../test-support/jobs-harness.ts";

const JOB_ID = `job_${"0".repeat(32)}`;

// Requests to the routes whose key check is deferred, each wrong in a way its route (or a
// middleware after the key's guard) refuses before it would ask the key's object.
const FAULTY: ReadonlyArray<{ what: string; path: string; init: RequestInit; status: number }> = [
  {
    what: "an estimate whose body is not JSON",
    path: "/v1/estimate",
    init: { method: "POST", headers: { "content-type": "application/json" }, body: "{ not json" },
    status: 400,
  },
  {
    what: "a generation sent as text",
    path: "/v1/images/generations",
    init: { method: "POST", headers: { "content-type": "text/plain" }, body: "a red square" },
    status: 415,
  },
  {
    what: "an async generation with a webhook that is no URL",
    path: "/v1/images/generations",
    init: {
      method: "POST",
      headers: {
        "content-type": "application/json",
        prefer: "respond-async",
        "sdgate-webhook-url": "not a url",
      },
      body: JSON.stringify({ prompt: "a red square", seed: 1 }),
    },
    status: 400,
  },
  {
    what: "a job's events after an event id that cannot be one",
    path: `/v1/jobs/${JOB_ID}/events`,
    init: { method: "GET", headers: { "last-event-id": "not-a-number" } },
    status: 400,
  },
];

function send(fault: (typeof FAULTY)[number], key: string): Promise<Response> {
  const headers = new Headers(fault.init.headers);
  headers.set("authorization", `Bearer ${key}`);
  return Promise.resolve(app.request(fault.path, { ...fault.init, headers }, jobsEnv()));
}

describe("keyAuth with a deferred check", () => {
  it.each(FAULTY)("answers a live key's $what with the route's own error", async (fault) => {
    const { key } = await seedJobKey();
    expect((await send(fault, key)).status).toBe(fault.status);
  });

  it.each(FAULTY)("answers a revoked key's $what with 401 first", async (fault) => {
    const { key, id } = await seedJobKey();
    const models = await app.request(
      "/v1/models",
      { headers: { authorization: `Bearer ${key}` } },
      jobsEnv(),
    );
    expect(models.status).toBe(200);
    // The isolate still has the key's record; only the key's Durable Object, which has it now, knows.
    await env.KEY_STATE.getByName(id).revoke();
    const res = await send(fault, key);
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    expect(((await res.json()) as Envelope).error.message).toMatch(/revoked/);
  });
});
