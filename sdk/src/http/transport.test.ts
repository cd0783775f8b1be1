import { afterEach, describe, expect, it } from "vitest";
import { Sdgate } from "../client.ts";
import { isSdgateApiError, SdgateApiError } from "../errors/api-error.ts";
import { SdgateConnectionError } from "../errors/connection-error.ts";
import { SdgateResponseError } from "../errors/response-error.ts";
import { SdgateTimeoutError } from "../errors/timeout-error.ts";
import {
  envelope,
  type FakeHandler,
  type FakeServer,
  fakeServer,
  generationBody,
  jobView,
  json,
} from "../test-support/fake-server.ts";
import { Transport } from "./transport.ts";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function clientFor(handler: FakeHandler, options: { maxRetries?: number; timeoutMs?: number } = {}) {
  server = await fakeServer(handler);
  return new Sdgate({ baseUrl: server.url, apiKey: "sk_test", adminToken: "admin-token", ...options });
}

const MODELS = { object: "list", data: [] };

function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => error,
  );
}

describe("retries", () => {
  it("waits out Retry-After (seconds) on a 429, then succeeds", async () => {
    const client = await clientFor((_, response, index) =>
      index === 0
        ? json(
            response,
            429,
            envelope("rate_limited", "slow down", "requests_per_minute", "rate_limit_error"),
            {
              "retry-after": "1",
            },
          )
        : json(response, 200, MODELS),
    );
    const list = await client.models.list();
    expect(list.object).toBe("list");
    const [first, second] = server?.seen ?? [];
    expect(second && first ? second.atMs - first.atMs : 0).toBeGreaterThanOrEqual(950);
  });

  it("waits out Retry-After as an HTTP date on a 503 of a GET", async () => {
    const client = await clientFor((_, response, index) =>
      index === 0
        ? json(response, 503, envelope("backend_unavailable", "none", null, "api_error"), {
            "retry-after": new Date(Date.now() + 1500).toUTCString(),
          })
        : json(response, 200, MODELS),
    );
    await client.models.list();
    const [first, second] = server?.seen ?? [];
    // HTTP dates have whole seconds: the wait is what is left of the named second.
    expect(second && first ? second.atMs - first.atMs : 0).toBeGreaterThanOrEqual(400);
    expect(server?.seen).toHaveLength(2);
  });

  it("gives up after maxRetries, throwing the last answer's error", async () => {
    const client = await clientFor(
      (_, response) => json(response, 503, envelope("backend_unavailable", "none", null, "api_error")),
      { maxRetries: 2 },
    );
    const error = await rejection(client.models.list());
    expect(error).toBeInstanceOf(SdgateApiError);
    expect(error).toMatchObject({ status: 503, code: "backend_unavailable", retryAfterMs: null });
    expect(server?.seen).toHaveLength(3);
  });

  it("never retries another 4xx, and carries the envelope's fields", async () => {
    const client = await clientFor((_, response) =>
      json(response, 400, envelope("invalid_request", "Invalid 'width': must be a multiple of 8.", "width"), {
        "x-request-id": "req_header",
      }),
    );
    const error = await rejection(client.images.generate({ prompt: "x", width: 100, seed: 1 }));
    expect(isSdgateApiError(error)).toBe(true);
    expect(error).toMatchObject({
      status: 400,
      type: "invalid_request_error",
      code: "invalid_request",
      param: "width",
      requestId: "req_fake",
      message: "Invalid 'width': must be a multiple of 8.",
    });
    expect(server?.seen).toHaveLength(1);
  });

  it("does not retry a 503 of a generation without a seed: a second try would be a second image and charge", async () => {
    const client = await clientFor((_, response) =>
      json(response, 503, envelope("backend_unavailable", "none", null, "api_error"), { "retry-after": "0" }),
    );
    await rejection(client.images.generate({ prompt: "x" }));
    expect(server?.seen).toHaveLength(1);
  });

  it("retries a 503 of a seeded generation (the replay cache answers the retry), but not one that bypasses the cache", async () => {
    const client = await clientFor((_, response, index) =>
      index % 2 === 0
        ? json(response, 503, envelope("backend_unavailable", "none", null, "api_error"), {
            "retry-after": "0",
          })
        : json(response, 200, generationBody(), {
            "x-cache": "MISS",
            "x-backend": "local-a",
            "x-attempts": "1",
          }),
    );
    const result = await client.images.generate({ prompt: "x", seed: 7 });
    expect(result).toMatchObject({ cache: "MISS", backend: "local-a", attempts: 1, job: null });
    expect(result.response.data[0]?.seed).toBe(7);
    expect(server?.seen).toHaveLength(2);
    await rejection(client.images.generate({ prompt: "x", seed: 7 }, { cache: "no-store" }));
    expect(server?.seen).toHaveLength(3);
    expect(server?.seen[2]?.headers["cache-control"]).toBe("no-store");
  });

  it("retries a 429 even for a request that is not idempotent: the edge refused it before doing anything", async () => {
    const client = await clientFor((_, response, index) =>
      index === 0
        ? json(response, 429, envelope("rate_limited", "slow down", null, "rate_limit_error"), {
            "retry-after": "0",
          })
        : json(response, 201, { ...KEY, key: "sk_new" }),
    );
    const created = await client.keys.create({ name: "ci" });
    expect(created.key).toBe("sk_new");
    expect(server?.seen).toHaveLength(2);
  });

  it("throws at once when Retry-After is longer than the client waits by itself", async () => {
    const client = await clientFor((_, response) =>
      json(response, 429, envelope("rate_limited", "out of credits", "credits", "rate_limit_error"), {
        "retry-after": "3600",
      }),
    );
    const error = await rejection(client.models.list());
    expect(error).toMatchObject({ status: 429, param: "credits", retryAfterMs: 3_600_000 });
    expect(server?.seen).toHaveLength(1);
  });

  it("retries a connection error of an idempotent call, and not of a key creation", async () => {
    const client = await clientFor((_, response, index) =>
      index === 0 ? response.socket?.destroy() : json(response, 200, MODELS),
    );
    await client.models.list();
    expect(server?.seen).toHaveLength(2);
    await server?.close();

    const creating = await clientFor((_, response) => response.socket?.destroy());
    const error = await rejection(creating.keys.create({ name: "ci" }));
    expect(error).toBeInstanceOf(SdgateConnectionError);
    expect(server?.seen).toHaveLength(1);
  });

  it("sends one Idempotency-Key on every try of an async generation, so a retry finds the same job", async () => {
    const client = await clientFor((_, response, index) =>
      index === 0
        ? json(response, 503, envelope("backend_unavailable", "none", null, "api_error"), {
            "retry-after": "0",
          })
        : json(response, 202, jobView("job_0123456789abcdef0123456789abcdef"), {
            location: "/v1/jobs/job_0123",
          }),
    );
    const job = await client.images.generateAsync({ prompt: "x" }, { previewEvery: 5 });
    expect(job.status).toBe("queued");
    const [first, second] = server?.seen ?? [];
    expect(first?.headers.prefer).toBe("respond-async");
    expect(first?.headers["sdgate-preview-every"]).toBe("5");
    expect(first?.headers["idempotency-key"]).toMatch(/^sdk-[0-9a-f]{32}$/);
    expect(second?.headers["idempotency-key"]).toBe(first?.headers["idempotency-key"]);
  });
});

const KEY = {
  id: "key_0123456789abcdef",
  name: "ci",
  prefix: "sk_12345678",
  scopes: ["generate", "read"],
  limits: { requests_per_minute: 600, concurrency: 16, credits: null },
  models: null,
  allowed_ips: null,
  metadata: {},
  created_at: "2026-12-01T00:00:00.000Z",
  expires_at: null,
  last_used_at: null,
  revoked_at: null,
  status: "active",
};

describe("errors that are not the API's", () => {
  it("reads an error without an envelope (a proxy's page) by its status", async () => {
    const client = await clientFor((_, response) =>
      response.writeHead(502, { "content-type": "text/html" }).end("<h1>Bad gateway</h1>"),
    );
    const error = await rejection(client.keys.list());
    expect(error).toMatchObject({
      name: "SdgateApiError",
      status: 502,
      code: null,
      type: null,
      message: "HTTP 502",
    });
  });

  it("keeps a code this SDK does not know yet as its string", async () => {
    const client = await clientFor((_, response) =>
      json(response, 400, envelope("quota_frozen", "Frozen.", null)),
    );
    expect(await rejection(client.models.list())).toMatchObject({ code: "quota_frozen", message: "Frozen." });
  });

  it("reports a success answer that is not the contract's shape", async () => {
    const client = await clientFor((_, response) => json(response, 200, { id: "job_x", status: "weird" }));
    const error = await rejection(client.jobs.get("job_x"));
    expect(error).toBeInstanceOf(SdgateResponseError);
    expect(error).toMatchObject({ status: 200 });
  });
});

describe("timeouts and aborts", () => {
  it("times out a call that gets no answer, as SdgateTimeoutError", async () => {
    const client = await clientFor(() => {}, { timeoutMs: 200 });
    const started = Date.now();
    const error = await rejection(client.models.list());
    expect(error).toBeInstanceOf(SdgateTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("does not begin a retry wait the timeout would cut short", async () => {
    const client = await clientFor(
      (_, response) =>
        json(response, 503, envelope("backend_unavailable", "none", null, "api_error"), {
          "retry-after": "5",
        }),
      { timeoutMs: 1_000 },
    );
    const started = Date.now();
    expect(await rejection(client.models.list())).toMatchObject({ status: 503, retryAfterMs: 5000 });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("rejects with the caller's reason when its signal aborts, and hangs up on the server", async () => {
    const client = await clientFor(() => {});
    const controller = new AbortController();
    const call = client.models.list({ signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort(new Error("user left"));
    expect(await rejection(call)).toMatchObject({ message: "user left" });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server?.clientHangUps).toBe(1);
  });

  it("aborts a retry wait at once", async () => {
    const client = await clientFor((_, response) =>
      json(response, 503, envelope("backend_unavailable", "none", null, "api_error"), {
        "retry-after": "30",
      }),
    );
    const started = Date.now();
    const error = await rejection(client.models.list({ signal: AbortSignal.timeout(300) }));
    expect((error as Error).name).toBe("TimeoutError");
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe("credentials", () => {
  it("are never sent to an origin other than the client's", async () => {
    server = await fakeServer((_, response) => json(response, 200, {}));
    const transport = new Transport({
      baseUrl: new URL("https://images.example.com"),
      apiKey: "sk_test",
      adminToken: null,
      fetch: (input, init) => fetch(input, init),
      maxRetries: 0,
      timeoutMs: null,
      userAgent: null,
    });
    const spec = {
      method: "GET",
      path: `${server.url}/v1/models`,
      credential: "apiKey",
      idempotent: true,
    } as const;
    await expect(transport.json(spec, (body) => body, {})).rejects.toThrow(/will not send a credential/);
    expect(server.seen).toHaveLength(0);
  });
});

describe("session mode", () => {
  it("sends admin-side calls without Authorization, with the cookie, and still needs a key for /v1", async () => {
    server = await fakeServer((_, response) => json(response, 200, { object: "list", data: [] }));
    const seen: RequestInit[] = [];
    const transport = new Transport({
      baseUrl: new URL(server.url),
      apiKey: null,
      adminToken: null,
      session: true,
      fetch: (input, init) => {
        seen.push(init);
        return fetch(input, init);
      },
      maxRetries: 0,
      timeoutMs: null,
      userAgent: null,
    });
    const admin = { method: "GET", path: "/admin/keys", credential: "adminToken", idempotent: true } as const;
    await transport.json(admin, (body) => body, {});
    expect(server.seen[0]?.headers.authorization).toBeUndefined();
    expect(seen[0]?.credentials).toBe("same-origin");
    const keyed = { method: "GET", path: "/v1/models", credential: "apiKey", idempotent: true } as const;
    await expect(transport.json(keyed, (body) => body, {})).rejects.toThrow(/needs an apiKey/);
    expect(server.seen).toHaveLength(1);
  });
});
