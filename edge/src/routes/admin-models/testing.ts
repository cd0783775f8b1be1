import type { ModelVersion } from "@sdgate/shared";
import { expect } from "vitest";
import type { Env } from "../../env.ts";
import { call } from "../../keys/testing.ts";
import { createModel, listVersions, registerVersion } from "../../model-registry/index.ts";
import { approvePromotion, requestPromotion } from "../../model-registry/promotions.ts";
import { db, versionBody } from "../../model-registry/testing.ts";
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
  await createModel(db, { id: "tiny" }, "usr_requester00000");
  const digest = FAKE_TINY_DIGESTS.common;
  const registered = await registerVersion(db, "tiny", versionBody({ digest }), "usr_requester00000");
  const version = registered.ok
    ? registered.value.after
    : (await listVersions(db, "tiny")).find((known) => known.digest === digest);
  if (version === undefined) return expect.fail("tiny's common version is not registered");
  const alias = `p-${crypto.randomUUID().slice(0, 8)}`;
  const asked = await requestPromotion(
    db,
    "tiny",
    { alias, to_version: version.version },
    "usr_requester00000",
  );
  if (!asked.ok) return expect.fail(asked.error.message);
  const approved = await approvePromotion(db, asked.value.after.id, "usr_approver000000");
  if (!approved.ok) return expect.fail(approved.error.message);
  return { alias, version };
}
