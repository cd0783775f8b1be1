import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import type { Stack } from "../../scripts/stack/start-stack.ts";
import { fuzzer, type HostileRequest, hostileRequest, seededRandom } from "./hostile-requests.ts";

/**
 * A fuzz through the real stack: the edge in workerd, two real backends, the tiny model. A fault
 * that only shows where the backend parses the prompt or decodes the image (one prompt once took every
 * backend down) is invisible to a fuzz that stops at a fake backend. `SDGATE_FUZZ_SEED` replays a run;
 * `SDGATE_FUZZ_REQUESTS` changes its length.
 */
const SEED = Number(process.env.SDGATE_FUZZ_SEED ?? 20261206);
const REQUESTS = Number(process.env.SDGATE_FUZZ_REQUESTS ?? 2_000);
const PARALLEL = 8;

/** What a Node or V8 stack trace looks like in a body. */
const STACK_TRACE = /\n\s+at\s+\S|\bat\s+[\w.<>]+\s+\((?:file|node):|(?:Type|Range|Syntax|Reference)Error:/;

interface Finding {
  label: string;
  status: number;
  body: string;
}

let fuzzKey = "";
let validPng = "";

async function send(localStack: { current(): Stack }, request: HostileRequest): Promise<Finding> {
  const { url, adminToken } = localStack.current();
  const headers: Record<string, string> = { ...request.headers };
  if (request.auth === "key") headers.authorization = `Bearer ${fuzzKey}`;
  if (request.auth === "admin") headers.authorization = `Bearer ${adminToken}`;
  if (request.auth === "garbage") headers.authorization = `Bearer sk_${"x".repeat(40)}`;
  const response = await fetch(`${url}${request.path}`, {
    method: request.method,
    headers,
    ...(request.body === undefined || request.method === "GET" ? {} : { body: request.body }),
    signal: AbortSignal.timeout(60_000),
  });
  // An event stream stays open while its job runs: its status is enough.
  if (response.headers.get("content-type")?.includes("text/event-stream")) {
    await response.body?.cancel();
    return { label: request.label, status: response.status, body: "" };
  }
  const body = await response.text();
  return { label: request.label, status: response.status, body };
}

/**
 * The fuzz through the real stack, run on a stack another test file started (one stack start, about
 * 25 s, is shared with that file's tests): call it inside that file, after its own tests.
 *
 * @example
 * hostileRequestsSuite(localStack);
 */
export function hostileRequestsSuite(localStack: { current(): Stack }): void {
  describe(`${REQUESTS} hostile requests through the real stack (seed ${SEED})`, () => {
    beforeAll(async () => {
      const { url, adminToken } = localStack.current();
      const created = await fetch(`${url}/admin/keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({
          name: "fuzz",
          scopes: ["generate", "read"],
          limits: { requests_per_minute: 1_000_000, concurrency: 64, credits: null },
        }),
      });
      expect(created.status).toBe(201);
      fuzzKey = ((await created.json()) as { key: string }).key;
      const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#336699" } })
        .png()
        .toBuffer();
      validPng = png.toString("base64");
    });

    it("answers every one without a 5xx or a stack trace, leaves every breaker closed, and serves afterwards", async () => {
      const f = fuzzer(seededRandom(SEED));
      const requests = Array.from({ length: REQUESTS }, (_, index) => hostileRequest(f, validPng, index));
      const findings: Finding[] = [];
      const statuses = new Map<number, number>();
      const refusedFields = new Map<string, number>();
      for (let start = 0; start < requests.length; start += PARALLEL) {
        const batch = requests.slice(start, start + PARALLEL);
        for (const result of await Promise.all(batch.map((request) => send(localStack, request)))) {
          statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
          const param = result.status === 400 ? /"param":"([^"]*)"/.exec(result.body)?.[1] : undefined;
          if (param !== undefined) refusedFields.set(param, (refusedFields.get(param) ?? 0) + 1);
          if (result.status >= 500 || STACK_TRACE.test(result.body)) findings.push(result);
          // A request that failed the same way on both backends found a fault in them: a finding too.
          if (result.status === 422 && result.body.includes('"code":"generation_failed"'))
            findings.push(result);
        }
      }
      console.log(`fuzz seed ${SEED}: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
      console.log(`400s by field: ${JSON.stringify(Object.fromEntries(refusedFields))}`);
      expect(findings.map((found) => `${found.label}: ${found.status} ${found.body.slice(0, 300)}`)).toEqual(
        [],
      );
      // The fuzz must have reached the backends, not only the edge's checks.
      expect(statuses.get(200) ?? 0).toBeGreaterThan(REQUESTS / 10);

      const { url, adminToken, apiKey } = localStack.current();
      const fleet = (await (
        await fetch(`${url}/admin/backends`, { headers: { authorization: `Bearer ${adminToken}` } })
      ).json()) as {
        backends: Array<{ name: string; breaker: { state: string; consecutive_failures: number } }>;
      };
      expect(
        fleet.backends.map((backend) => [
          backend.name,
          backend.breaker.state,
          backend.breaker.consecutive_failures,
        ]),
      ).toEqual([
        ["local-a", "closed", 0],
        ["local-b", "closed", 0],
      ]);
      const normal = await fetch(`${url}/v1/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ prompt: "a lighthouse after the storm", size: "64x64", steps: 2 }),
      });
      expect(normal.status).toBe(200);
    }, 540_000);

    it("settles and audits a generation whose client hung up, and frees its slot", async () => {
      const { url, adminToken } = localStack.current();
      const admin = { authorization: `Bearer ${adminToken}`, "content-type": "application/json" };
      const created = await fetch(`${url}/admin/keys`, {
        method: "POST",
        headers: admin,
        body: JSON.stringify({
          name: "hangs up",
          scopes: ["generate"],
          limits: { concurrency: 1, credits: 100_000 },
        }),
      });
      const { id, key } = (await created.json()) as { id: string; key: string };
      const generate = (signal?: AbortSignal) =>
        fetch(`${url}/v1/images/generations`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ prompt: "a lighthouse in fog", size: "256x256", steps: 150, seed: 9 }),
          ...(signal ? { signal } : {}),
        });
      const hangUp = new AbortController();
      const startedMs = Date.now();
      const abandoned = generate(hangUp.signal).catch(() => null);
      await new Promise((resolve) => setTimeout(resolve, 300));
      hangUp.abort();
      // The client really left before its image was made.
      expect(await abandoned).toBeNull();
      // The work goes on without the client, then its slot is freed and its row written.
      let remaining: { in_flight: number; credits: number } | null = null;
      for (let i = 0; i < 100; i++) {
        const read = await fetch(`${url}/admin/keys/${id}`, { headers: admin });
        remaining = ((await read.json()) as { remaining: { in_flight: number; credits: number } }).remaining;
        if (remaining.in_flight === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(remaining?.in_flight).toBe(0);
      console.log(`hung-up generation settled ${Date.now() - startedMs} ms after it was sent`);
      let rows: Array<{ action: string; status: number; cost: number }> = [];
      for (let i = 0; i < 50 && rows.length === 0; i++) {
        const audit = await fetch(`${url}/admin/audit?key_id=${id}`, { headers: admin });
        rows = ((await audit.json()) as { data: typeof rows }).data.filter(
          (row) => row.action === "generation",
        );
        if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(rows).toHaveLength(1);
      // Charged what the ledger says, no more and no less.
      expect(100_000 - (remaining?.credits ?? 0)).toBe(rows[0]?.cost);
      // Its one slot is free again: the next request is served.
      expect((await generate()).status).toBe(200);
    }, 120_000);
  });
}
