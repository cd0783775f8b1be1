import { env } from "cloudflare:workers";
import { sha256Hex } from "@sdgate/shared";
import type { Backend } from "../backends/registry.ts";
import type { Env } from "../env.ts";
import app from "../index.ts";
import { type ApiKeyRecord, apiKeyRecordKey } from "../keys/api-key.ts";
import { CALLS_PATH, type FakeBehaviour, type RecordedCall } from "./fake-backends.ts";

export const fakes = env.FAKE_BACKENDS;

/** A registry entry for a fake backend; the list order is the priority order. */
function backendsJson(behaviours: ReadonlyArray<FakeBehaviour | "down">): string {
  const backends: Backend[] = behaviours.map((behaviour, priority) => ({
    name: `fake-${behaviour}`,
    url: fakes.urls[behaviour],
    provider: `fake-${behaviour}`,
    region: "local",
    priority,
  }));
  return JSON.stringify(backends);
}

/** An edge env routing to the given fake backends, in that priority order. */
export function edgeEnv(
  behaviours: ReadonlyArray<FakeBehaviour | "down"> = ["healthy", "healthyB"],
  overrides: Partial<Env> = {},
): Env {
  return {
    // Every binding of the test worker (KV, D1, R2, Durable Objects), then the routing under test.
    ...env,
    API_KEYS: env.API_KEYS,
    SDGATE_HMAC_KEYS: env.SDGATE_HMAC_KEYS,
    SDGATE_BACKENDS: backendsJson(behaviours),
    ...overrides,
  };
}

/** Stores a fresh API key with `scopes` in the test KV; returns the key itself. */
export async function seedApiKey(scopes: string[] = ["generate", "read"]): Promise<string> {
  const key = `sk_test_${crypto.randomUUID().replaceAll("-", "")}`;
  const record: ApiKeyRecord = {
    id: `key_${crypto.randomUUID().slice(0, 8)}`,
    name: "test",
    scopes,
    created_at: new Date().toISOString(),
  };
  await env.API_KEYS.put(apiKeyRecordKey(await sha256Hex(key)), JSON.stringify(record));
  return key;
}

/** A prompt no other test uses, so a fake backend's calls for this test can be told apart. */
export function uniquePrompt(label = "a red square"): string {
  return `${label} #${crypto.randomUUID()}`;
}

export interface GenerateOptions {
  key?: string | null;
  env?: Env;
  headers?: Record<string, string>;
}

/** `POST /v1/images/generations` through the app, in-process. */
export async function generate(body: unknown, options: GenerateOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  return app.request(
    "/v1/images/generations",
    { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) },
    options.env ?? edgeEnv(),
  );
}

/** The generate calls a fake backend received for `prompt`. */
export async function callsTo(behaviour: FakeBehaviour, prompt: string): Promise<RecordedCall[]> {
  const response = await fetch(`${fakes.urls[behaviour]}${CALLS_PATH}?prompt=${encodeURIComponent(prompt)}`);
  return (await response.json()) as RecordedCall[];
}

/** A response's error envelope, as the contract writes it. */
export type { ErrorEnvelope as Envelope } from "@sdgate/shared";
