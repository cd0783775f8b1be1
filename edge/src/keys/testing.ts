import { env } from "cloudflare:workers";
import type { KeyWithSecret } from "@sdgate/shared";
import type { Env } from "../env.ts";
import app from "../index.ts";
import type { KeyLimits } from "../limits/policy.ts";

/** Test helpers for the keys API: requests with the test admin token (edge/vitest.config.ts). */
export const ADMIN_TOKEN = env.SDGATE_ADMIN_TOKEN as string;

/** A key as `POST /admin/keys` answers: the contract's view, and its secret. */
export type CreatedKey = KeyWithSecret;

/**
 * A request to the whole app with the test worker's env (or `testEnv`); `admin: true` adds the
 * admin token.
 */
export function call(
  path: string,
  init: RequestInit & { admin?: boolean; key?: string } = {},
  testEnv: Env = env,
): Promise<Response> {
  const { admin, key, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (admin) headers.set("Authorization", `Bearer ${ADMIN_TOKEN}`);
  if (key) headers.set("Authorization", `Bearer ${key}`);
  if (typeof rest.body === "string") headers.set("Content-Type", "application/json");
  return Promise.resolve(app.request(path, { ...rest, headers }, testEnv));
}

/** Creates a key through `POST /admin/keys`. */
export async function createKey(
  body: { name?: string; scopes?: string[]; limits?: Partial<KeyLimits> } = {},
): Promise<CreatedKey> {
  const res = await call("/admin/keys", {
    method: "POST",
    admin: true,
    body: JSON.stringify({ name: "test", ...body }),
  });
  if (res.status !== 201) throw new Error(`createKey: ${res.status} ${await res.text()}`);
  return (await res.json()) as CreatedKey;
}
