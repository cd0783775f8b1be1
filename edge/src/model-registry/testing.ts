import { env } from "cloudflare:workers";
import { type ModelVersion, type RegisterVersionBody, randomHex } from "@sdgate/shared";
import { expect } from "vitest";
import { createModel } from "./models.ts";
import { approvePromotion, requestPromotion } from "./promotions.ts";
import { listVersions, registerVersion } from "./versions.ts";

/** Test helpers for the registry. Edge test files share one D1: every model here is fresh. */
export const db = env.DB;

/** A model id no other test uses. */
export const freshModelId = () => `m-${crypto.randomUUID()}`;

/** A version body with files no other version has. */
export function versionBody(overrides: Partial<RegisterVersionBody> = {}): RegisterVersionBody {
  return {
    digest: randomHex(32),
    source: { kind: "export", path: "/models/test" },
    engine_version: "sdgate-engine/3",
    licence: { id: "CreativeML-OpenRAIL-M", accepted: true },
    card: "# Test model",
    ...overrides,
  };
}

/** A new model with `count` versions (v1 … v`count`), registered by `registrar`. */
export async function modelWithVersions(
  count: number,
  registrar = "usr_registrar00000",
): Promise<ModelVersion[]> {
  const id = freshModelId();
  const created = await createModel(db, { id }, registrar);
  if (!created.ok) expect.fail(created.error.message);
  const versions: ModelVersion[] = [];
  for (let i = 0; i < count; i++) {
    const registered = await registerVersion(db, id, versionBody(), registrar);
    if (!registered.ok) expect.fail(registered.error.message);
    versions.push(registered.value.after);
  }
  return versions;
}

// The registry's `tiny` is shared by every edge test file that serves through the registry (the fake
// backends hold its files): its versions are registered by whichever test needs them first, and each
// test points aliases of its own at them.
const TINY_REGISTRAR = "usr_requester00000";
const TINY_APPROVER = "usr_approver000000";

/** tiny's version holding `digest`, registered on first use. */
export async function tinyVersionHolding(digest: string): Promise<ModelVersion> {
  await createModel(db, { id: "tiny", description: "the fakes' tiny" }, TINY_REGISTRAR);
  const find = async () => (await listVersions(db, "tiny")).find((version) => version.digest === digest);
  const known = await find();
  if (known) return known;
  const registered = await registerVersion(db, "tiny", versionBody({ digest }), TINY_REGISTRAR);
  if (registered.ok) return registered.value.after;
  // Another test registered it meanwhile.
  const raced = await find();
  if (!raced) expect.fail(registered.error.message);
  return raced;
}

/** A fresh alias of tiny (`<prefix>-…`) at `version`, moved there by an approved promotion. */
export async function freshTinyAliasAt(version: ModelVersion, prefix = "t"): Promise<string> {
  const alias = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  const requested = await requestPromotion(
    db,
    "tiny",
    { alias, to_version: version.version },
    TINY_REGISTRAR,
  );
  if (!requested.ok) expect.fail(requested.error.message);
  const approved = await approvePromotion(db, requested.value.after.id, TINY_APPROVER);
  if (!approved.ok) expect.fail(approved.error.message);
  return alias;
}
