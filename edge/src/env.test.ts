import { env } from "cloudflare:workers";
import { isSdgateError } from "@sdgate/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CLOUDFLARE_ORIGIN_TIMEOUT_MS,
  configFor,
  DEFAULT_BACKEND_TIMEOUT_MS,
  type Env,
  MAX_BACKEND_TIMEOUT_MS,
} from "./env.ts";
import app from "./index.ts";
import type { Envelope } from "./test-support/harness.ts";

const backend = { name: "a", url: "http://127.0.0.1:8101/", provider: "p", region: "r", priority: 1 };

function rawEnv(overrides: Record<string, unknown> = {}): Env {
  return {
    API_KEYS: env.API_KEYS,
    DB: env.DB,
    KEY_STATE: env.KEY_STATE,
    AUDIT_LOG: env.AUDIT_LOG,
    AUTH_FAILURES: env.AUTH_FAILURES,
    IMAGES: env.IMAGES,
    GENERATION_COALESCER: env.GENERATION_COALESCER,
    BACKEND_HEALTH: env.BACKEND_HEALTH,
    GENERATION_JOB: env.GENERATION_JOB,
    TEAM_BUDGET: env.TEAM_BUDGET,
    EVALUATION_RUN: env.EVALUATION_RUN,
    CANARY_WATCH: env.CANARY_WATCH,
    SWEEP_DRIVER: env.SWEEP_DRIVER,
    SDGATE_HMAC_KEYS: env.SDGATE_HMAC_KEYS,
    SDGATE_BACKENDS: JSON.stringify([backend]),
    ...overrides,
  } as Env;
}

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the worker env", () => {
  it("serves the built-in tiny model plus the operator's own, with SD 1.5 defaults filled in", () => {
    expect(configFor(rawEnv()).models.map((m) => m.id)).toEqual(["tiny"]);
    const config = configFor(
      rawEnv({ SDGATE_MODELS: JSON.stringify([{ id: "sd15", defaults: { steps: 25 } }]) }),
    );
    expect(config.models.map((m) => m.id)).toEqual(["tiny", "sd15"]);
    expect(config.models[1]?.defaults).toEqual({
      width: 512,
      height: 512,
      steps: 25,
      guidance_scale: 7.5,
      scheduler: "euler",
    });
    const error = errorOf(() => configFor(rawEnv({ SDGATE_MODELS: JSON.stringify([{ id: "Bad Id" }]) })));
    expect(isSdgateError(error) && error.message).toMatch(/SDGATE_MODELS/);
  });

  it("parses into a typed config with defaults, backends in priority order", () => {
    const second = { ...backend, name: "b", priority: 0 };
    const config = configFor(rawEnv({ SDGATE_BACKENDS: JSON.stringify([backend, second]) }));
    expect(config.backends.map((b) => b.name)).toEqual(["b", "a"]);
    expect(config.backends[1]?.url).toBe("http://127.0.0.1:8101");
    expect(config.backendTimeoutMs).toBe(DEFAULT_BACKEND_TIMEOUT_MS);
    expect(configFor(rawEnv({ SDGATE_BACKEND_TIMEOUT_MS: "2500" })).backendTimeoutMs).toBe(2500);
  });

  it("keeps every synchronous attempt under Cloudflare's 100 s origin timeout, longer estimates becoming jobs", () => {
    expect(DEFAULT_BACKEND_TIMEOUT_MS).toBeLessThanOrEqual(MAX_BACKEND_TIMEOUT_MS);
    expect(MAX_BACKEND_TIMEOUT_MS).toBeLessThan(CLOUDFLARE_ORIGIN_TIMEOUT_MS);
    const config = configFor(rawEnv());
    expect(config.jobs.autoAsyncMs).toBe(DEFAULT_BACKEND_TIMEOUT_MS / 2);
    const highest = configFor(
      rawEnv({
        SDGATE_BACKEND_TIMEOUT_MS: String(MAX_BACKEND_TIMEOUT_MS),
        SDGATE_AUTO_ASYNC_MS: String(MAX_BACKEND_TIMEOUT_MS),
      }),
    );
    expect(highest.jobs.autoAsyncMs).toBe(MAX_BACKEND_TIMEOUT_MS);
    vi.spyOn(console, "error").mockImplementation(() => {});
    const error = errorOf(() => configFor(rawEnv({ SDGATE_BACKEND_TIMEOUT_MS: "120000" })));
    expect((error as Error).message).toContain("SDGATE_BACKEND_TIMEOUT_MS");
  });

  it("reads retention in days and hours, with defaults, and 0 keeping the audit forever", () => {
    const day = 86_400_000;
    expect(configFor(rawEnv()).retention).toEqual({ cacheMs: 30 * day, jobMs: day, auditMs: 400 * day });
    const set = configFor(
      rawEnv({
        SDGATE_CACHE_RETENTION_DAYS: "7",
        SDGATE_JOB_RETENTION_HOURS: "168",
        SDGATE_AUDIT_RETENTION_DAYS: "0",
      }),
    );
    expect(set.retention).toEqual({ cacheMs: 7 * day, jobMs: 7 * day, auditMs: null });
    // A job may not outlive the R2 lifecycle that also expires its images.
    vi.spyOn(console, "error").mockImplementation(() => {});
    const error = errorOf(() =>
      configFor(rawEnv({ SDGATE_CACHE_RETENTION_DAYS: "1", SDGATE_JOB_RETENTION_HOURS: "25" })),
    );
    expect((error as Error).message).toContain("SDGATE_JOB_RETENTION_HOURS");
  });

  it("parses each env object once", () => {
    const raw = rawEnv();
    expect(configFor(raw)).toBe(configFor(raw));
  });

  it.each([
    ["SDGATE_BACKENDS", "[{"],
    ["SDGATE_BACKENDS", "[]"],
    ["SDGATE_BACKENDS", JSON.stringify([{ ...backend, url: "ftp://127.0.0.1" }])],
    ["SDGATE_BACKENDS", JSON.stringify([backend, backend])],
    ["SDGATE_HMAC_KEYS", undefined],
    ["SDGATE_HMAC_KEYS", "k1:short"],
    ["SDGATE_BACKEND_TIMEOUT_MS", "soon"],
    ["SDGATE_BACKEND_TIMEOUT_MS", "100000"],
    ["SDGATE_AUTO_ASYNC_MS", "90001"],
    ["API_KEYS", undefined],
    ["DB", undefined],
    ["KEY_STATE", undefined],
    ["SDGATE_ADMIN_TOKEN", "too-short-admin-token"],
    ["SDGATE_CACHE_RETENTION_DAYS", "0"],
    ["SDGATE_CACHE_RETENTION_DAYS", "a month"],
    ["SDGATE_JOB_RETENTION_HOURS", "1.5"],
    ["SDGATE_JOB_RETENTION_HOURS", String(31 * 24)],
    ["SDGATE_AUDIT_RETENTION_DAYS", "-1"],
  ])("refuses a bad %s, naming it without its value", (variable, value) => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const error = errorOf(() => configFor(rawEnv({ [variable]: value })));
    expect(isSdgateError(error) && error.status).toBe(500);
    expect((error as Error).message).toContain(variable);
    const logs = logged.mock.calls.map((call) => String(call[0])).join("\n");
    expect(logs).toContain(variable);
    if (typeof value === "string" && value.length > 4) expect(logs).not.toContain(value);
  });

  it("needs the team budgets' Durable Object binding, and names it when it is missing", () => {
    expect(configFor(rawEnv()).teamBudget).toBe(env.TEAM_BUDGET);
    vi.spyOn(console, "error").mockImplementation(() => {});
    const error = errorOf(() => configFor(rawEnv({ TEAM_BUDGET: undefined })));
    expect(isSdgateError(error) && error.message).toContain("TEAM_BUDGET");
  });

  it("turns a bad env into a 500 envelope naming the variable", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await app.request("/healthz", {}, rawEnv({ SDGATE_HMAC_KEYS: "no-colon-here" }));
    expect(res.status).toBe(500);
    const body = (await res.json()) as Envelope;
    expect(body.error.code).toBe("internal_error");
    expect(body.error.message).toContain("SDGATE_HMAC_KEYS");
    expect(body.error.message).not.toContain("no-colon-here");
  });
});
