import { env } from "cloudflare:test";
import type { KeyLimits } from "../limits/policy.ts";

/** The secret hash a {@link freshKeyState} key accepts. */
export const TEST_SECRET_HASH = "c".repeat(64);

/** A new key's `KeyState` object, initialised with `limits` and one secret ({@link TEST_SECRET_HASH}). */
export async function freshKeyState(limits: Partial<KeyLimits> = {}) {
  const id = `key_${crypto.randomUUID().slice(0, 12)}`;
  const stub = env.KEY_STATE.getByName(id);
  await stub.initialize({
    key: {
      id,
      name: "key state test",
      scopes: ["generate"],
      created_at: new Date().toISOString(),
      limits: { requests_per_minute: 100_000, concurrency: 100, credits: 10_000, ...limits },
    },
    secrets: [{ hash: TEST_SECRET_HASH, expiresAtMs: null }],
  });
  return { id, stub };
}
