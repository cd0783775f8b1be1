import { env } from "cloudflare:workers";
import { type ModelVersion, type RegisterVersionBody, randomHex } from "@sdgate/shared";
import { expect } from "vitest";
import { createModel } from "./models.ts";
import { registerVersion } from "./versions.ts";

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
