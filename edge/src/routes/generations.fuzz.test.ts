import { seededRandom } from "@sdgate/shared/testing";
import { beforeAll, describe, expect, it, vi } from "vitest";
import app from "../index.ts";
import { fleetEnv, seedRoomyKey } from "../test-support/fleet.ts";
import { MAX_BODY_BYTES } from "./generations.ts";

/**
 * A fuzz of the whole app with malformed and hostile requests: none may yield a 5xx, a stack trace
 * or a non-JSON error. Seeded (mulberry32): a failure names its seed and case, and the same SEED
 * replays the same requests in the same order.
 */
const SEED = 20_261_126;
const CASES = 1_200;

interface Case {
  label: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

const FIELDS = [
  "model",
  "prompt",
  "negative_prompt",
  "n",
  "size",
  "width",
  "height",
  "steps",
  "guidance_scale",
  "scheduler",
  "seed",
  "rng",
  "image",
  "strength",
  "mask",
  "response_format",
  "output_format",
  "output_quality",
  "user",
];

function generator(random: () => number, key: string) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const int = (max: number) => Math.floor(random() * max);
  const text = (length: number) =>
    Array.from({ length }, () =>
      String.fromCharCode(pick([int(32), 32 + int(95), 0x80 + int(0x7ff), 0xd800 + int(0x800)])),
    ).join("");

  const hostileValue = (depth = 0): unknown =>
    pick([
      () => null,
      () => true,
      () => -1,
      () => 0,
      () => 2 ** 53 + int(100),
      () => 1e308,
      () => -1e-308,
      () => 0.5,
      () => int(2_000_000_000),
      () => "",
      () => " ",
      () => text(int(40)),
      () => "x".repeat(int(10_000)),
      () => "512x512",
      () => "99999x99999",
      () => "euler",
      () => "data:image/png;base64,AAAA",
      () => "__proto__",
      () => "constructor",
      () => (depth < 3 ? Array.from({ length: int(4) }, () => hostileValue(depth + 1)) : []),
      () => (depth < 3 ? { [pick(FIELDS)]: hostileValue(depth + 1), __proto__: { admin: true } } : {}),
    ])();

  const hostileBody = (): string =>
    pick([
      () => JSON.stringify({ prompt: text(1 + int(30)), [pick(FIELDS)]: hostileValue() }),
      () =>
        JSON.stringify(
          Object.fromEntries(Array.from({ length: 1 + int(6) }, () => [pick(FIELDS), hostileValue()])),
        ),
      () => JSON.stringify({ prompt: "x", ...Object.fromEntries([[text(8), hostileValue()]]) }),
      () => JSON.stringify(hostileValue()),
      () => `{"prompt": "${"a".repeat(int(100))}`,
      () => "{".repeat(1 + int(5_000)),
      () => `${"[".repeat(20_000)}${"]".repeat(20_000)}`,
      () => '{"prompt": "x", "seed": 1e99999}',
      () => '{"prompt": "x", "n": 1, "n": 10000}',
      () => '\uFEFF{"prompt": "x"}',
      () => text(int(200)),
      () => "",
      () => "null",
      () => '{"__proto__": {"scopes": ["admin"]}, "prompt": "x"}',
      () => JSON.stringify({ prompt: "x", image: "A".repeat(int(100_000)) }),
      () => JSON.stringify({ prompt: "x", steps: 150, n: 10, size: "1024x1024" }),
    ])();

  const authorization = (): string | undefined =>
    pick([
      () => `Bearer ${key}`,
      () => `Bearer ${key}`,
      () => `Bearer ${key}`,
      () => undefined,
      () => `Bearer sk_${text(20).replace(/[^\x20-\x7e]/g, "a")}`,
      () => `Bearer sk_${"A".repeat(16 + int(300))}`,
      () => `Bearer ${key.slice(0, -1)}${key.at(-1) === "a" ? "b" : "a"}`,
      () => `bearer    ${key}   `,
      () => `Basic ${btoa("admin:admin")}`,
      () => "Bearer",
      () => `Bearer ${key} ${key}`,
      () => `Bearer ${"x".repeat(8_000)}`,
      () => `Bearer edge-test-admin-token-0123456789abcdef`,
    ])();

  const oddHeaders = (): Record<string, string> =>
    pick([
      () => ({}),
      () => ({
        "cache-control": pick([
          "no-cache",
          "no-store",
          "max-age=abc",
          "no-cache, no-store",
          ",,,",
          "x".repeat(2_000),
        ]),
      }),
      () => ({ pragma: "no-cache" }),
      () => ({ "x-forwarded-for": "127.0.0.1, ::1" }),
      // Header values can't carry CR/LF/NUL (the runtime refuses them), so these are the worst legal ones.
      () => ({ "x-request-id": "<script>\t%0d%0a" }),
      () => ({ prefer: "respond-async" }),
      () => ({ "idempotency-key": text(10).replace(/[^\x20-\x7e]/g, "k") }),
      () => ({ accept: "image/*" }),
      () => ({ "accept-encoding": "gzip, br, zstd" }),
      () => ({ "content-encoding": "gzip" }),
    ])();

  const contentType = (): string | undefined =>
    pick([
      "application/json",
      "application/json",
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "text/plain",
      "multipart/form-data; boundary=x",
      "application/x-www-form-urlencoded",
      undefined,
      "application/json\t;;;",
    ]);

  const path = (): string =>
    pick([
      "/v1/images/generations",
      "/v1/images/generations",
      "/v1/images/generations",
      "/v1/images/generations/",
      "//v1/images/generations",
      "/v1/images/generations?response_format=url",
      "/v1/images/%2e%2e/generations",
      "/v1/images/generations%00",
      "/v1/images/../../admin/backends",
      "/admin/backends",
      "/admin/backends/../keys",
      "/admin/keys",
      "/admin/keys/key_0123456789abcdef",
      // Printable ASCII with stray `%`s: malformed percent-encoding on purpose.
      `/admin/keys/${text(20).replace(/[^\x21-\x7e]/g, "%")}`,
      `/admin/usage?from=${text(12).replace(/[^\x21-\x7e]/g, "%")}&to=2026-12-01&interval=${text(4).replace(/[^\x21-\x7e]/g, "%")}`,
      "/admin/usage?from=2026-01-01&to=2026-12-01",
      "/v1/estimate",
      `/v1/images/${"f".repeat(32)}-${"0".repeat(64)}-0.png?expires=${int(2 ** 40)}&sig=${"A".repeat(43)}`,
      `/v1/images/${text(12).replace(/[^a-z]/g, "z")}`,
      `/v1/${"a/".repeat(500)}`,
      "/v1/models",
      "/healthz",
      "/v1/images/generations#fragment",
    ]);

  const method = () =>
    pick(["POST", "POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]);

  return (index: number): Case => {
    const headers: Record<string, string> = { ...oddHeaders() };
    const auth = authorization();
    if (auth !== undefined) headers.authorization = auth;
    const type = contentType();
    if (type !== undefined) headers["content-type"] = type;
    const chosenMethod = method();
    const body = chosenMethod === "GET" || chosenMethod === "HEAD" ? undefined : hostileBody();
    return { label: `case ${index} (seed ${SEED})`, method: chosenMethod, path: path(), headers, body };
  };
}

let key: string;
beforeAll(async () => {
  ({ key } = await seedRoomyKey());
  for (const method of ["log", "warn", "error"] as const)
    vi.spyOn(console, method).mockImplementation(() => {});
});

async function send(testCase: Case, env: ReturnType<typeof fleetEnv>): Promise<Response> {
  const init: RequestInit = { method: testCase.method, headers: testCase.headers };
  if (testCase.body !== undefined) init.body = testCase.body;
  return await app.request(testCase.path, init, env);
}

async function expectNoServerError(testCase: Case, res: Response): Promise<number> {
  const text = await res.text();
  const where = `${testCase.label}: ${testCase.method} ${testCase.path.slice(0, 80)} → ${res.status} ${text.slice(0, 200)}`;
  expect(res.status, where).toBeLessThan(500);
  if (res.status >= 400 && testCase.method !== "HEAD") {
    expect(() => JSON.parse(text), where).not.toThrow();
    expect(text, where).not.toMatch(/\n\s+at |\.ts:\d+|SyntaxError|ZodError|TypeError/);
  }
  return res.status;
}

describe(`fuzz: ${CASES} malformed or hostile requests (seed ${SEED})`, () => {
  it("never answers with a 5xx, a stack trace or a non-JSON error", { timeout: 120_000 }, async () => {
    const env = fleetEnv(["healthy"]);
    const next = generator(seededRandom(SEED), key);
    const cases = Array.from({ length: CASES }, (_, i) => next(i));
    const statuses = new Map<number, number>();
    // A few at a time, as clients would send them; sequential order keeps a failure reproducible.
    for (let i = 0; i < cases.length; i += 8) {
      const batch = cases.slice(i, i + 8);
      const responses = await Promise.all(batch.map((testCase) => send(testCase, env)));
      for (const [j, res] of responses.entries()) {
        const status = await expectNoServerError(batch[j] as Case, res);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
    // The fuzz reaches every layer: auth, media type, validation, routing, and some get served.
    for (const status of [200, 400, 401, 404, 405, 415])
      expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
  });

  it("refuses oversized bodies with a 413, streamed or not", { timeout: 60_000 }, async () => {
    const env = fleetEnv(["healthy"]);
    const big = `{"prompt": "${"p".repeat(MAX_BODY_BYTES)}"}`;
    for (const headers of [
      { authorization: `Bearer ${key}`, "content-type": "application/json" },
      { authorization: `Bearer ${key}`, "content-type": "application/json", "cache-control": "no-cache" },
    ]) {
      const res = await app.request("/v1/images/generations", { method: "POST", headers, body: big }, env);
      expect(res.status).toBe(413);
    }
  });
});
