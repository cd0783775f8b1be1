import type { ModelVersion } from "@sdgate/shared";
import type { Env } from "../../env.ts";
import { call } from "../../keys/testing.ts";
import { freshTinyAliasAt, tinyVersionHolding } from "../../model-registry/testing.ts";
import { FAKE_TINY_DIGESTS } from "../../test-support/fake-backends.ts";
import { edgeEnv } from "../../test-support/harness.ts";

/** The registry-governed edge, with the fake backends that hold tiny's common files. */
export const registryEdge = (): Env => edgeEnv(["healthy"], { SDGATE_MODEL_GOVERNANCE: "registry" });

/** A request with the admin token to the registry-governed edge, with an optional JSON body. */
export function asRegistryAdmin(
  path: string,
  init: RequestInit & { json?: unknown } = {},
): Promise<Response> {
  const { json, ...rest } = init;
  const body = json === undefined ? {} : { body: JSON.stringify(json) };
  return call(path, { ...rest, ...body, admin: true }, registryEdge());
}

/**
 * A fresh alias of the registry's `tiny` (made on first use, as other files may have) pointing at the
 * version whose files every fake holds, moved there by an approved promotion.
 */
export async function freshTinyAlias(): Promise<{ alias: string; version: ModelVersion }> {
  const version = await tinyVersionHolding(FAKE_TINY_DIGESTS.common);
  return { alias: await freshTinyAliasAt(version, "p"), version };
}
