import { env } from "cloudflare:workers";
import { sha256Hex } from "@sdgate/shared";
import type { Backend } from "../backends/registry.ts";
import type { Env } from "../env.ts";
import app from "../index.ts";
import { type ApiKeyRecord, apiKeyRecordKey } from "../keys/api-key.ts";
import { type FakeBehaviour, MODE_PATH } from "./fake-backends.ts";
import { edgeEnv, fakes } from "./harness.ts";

/** A pool for a fake backend; the name defaults to `fake-<behaviour>`, the provider to the name. */
export type PoolSpec =
  | FakeBehaviour
  | "down"
  | ({ behaviour: FakeBehaviour | "down" } & Partial<Omit<Backend, "url">>);

export interface FleetOptions {
  retry?: Record<string, unknown>;
  breaker?: Record<string, unknown>;
  models?: Record<string, string>;
  engineVersion?: string;
  overrides?: Partial<Env>;
}

/**
 * An edge env whose registry is a fresh fleet (its own `BackendHealth` object and isolate state), so
 * breakers and budgets of one test never leak into another. Pools keep their listed priority order.
 */
export function fleetEnv(pools: readonly PoolSpec[], options: FleetOptions = {}): Env & { fleet: string } {
  const fleet = `test-${crypto.randomUUID().slice(0, 12)}`;
  const registry = {
    fleet,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.breaker ? { breaker: options.breaker } : {}),
    ...(options.models ? { models: options.models } : {}),
    ...(options.engineVersion ? { engine_version: options.engineVersion } : {}),
    pools: pools.map((spec, priority) => {
      const { behaviour, ...rest } = typeof spec === "string" ? { behaviour: spec } : spec;
      const name = rest.name ?? `fake-${behaviour}`;
      return { name, url: fakes.urls[behaviour], provider: name, region: "local", priority, ...rest };
    }),
  };
  return { ...edgeEnv(), SDGATE_BACKENDS: JSON.stringify(registry), ...options.overrides, fleet };
}

/** A key with room for the tests' bursts (the default limits are for people, not for test loops). */
export async function seedRoomyKey(owner?: string): Promise<{ key: string; id: string }> {
  const key = `sk_test_${crypto.randomUUID().replaceAll("-", "")}`;
  const id = `key_${crypto.randomUUID().slice(0, 8)}`;
  const record: ApiKeyRecord & { owner?: string } = {
    id,
    name: "gateway test",
    scopes: ["generate", "read"],
    created_at: new Date().toISOString(),
    limits: { requests_per_minute: 100_000, concurrency: 1_000, credits: null },
    ...(owner ? { owner } : {}),
  };
  await env.API_KEYS.put(apiKeyRecordKey(await sha256Hex(key)), JSON.stringify(record));
  return { key, id };
}

/** Turns the `switchable` fake backend's failures on or off. */
export async function switchFake(mode: "fail" | "ok"): Promise<void> {
  const res = await fetch(`${fakes.urls.switchable}${MODE_PATH}?mode=${mode}`, { method: "POST" });
  await res.body?.cancel();
}

/** An authenticated `POST /v1/images/generations` with any extra headers. */
export async function post(
  body: unknown,
  key: string,
  testEnv: Env,
  headers: Record<string, string> = {},
): Promise<Response> {
  return await app.request(
    "/v1/images/generations",
    {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers },
      body: JSON.stringify(body),
    },
    testEnv,
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
