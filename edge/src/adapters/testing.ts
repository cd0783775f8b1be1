import { type AdapterKind, randomHex } from "@sdgate/shared";
import { expect } from "vitest";
import { db } from "../model-registry/testing.ts";
import { forgetServingAdapters } from "./catalog.ts";
import { decideAdapter, registerAdapter } from "./store.ts";

/** Test helpers for the adapter registry. Edge test files share one D1: every name here is fresh. */

/** A name no other test uses. */
export const freshAdapterName = (label = "a") => `${label}-${crypto.randomUUID().slice(0, 8)}`;

/**
 * A fresh adapter, registered by one person and approved by another (unless `approve` is false),
 * served by this isolate at once; answers its name and digest.
 */
export async function approvedAdapter(
  kind: AdapterKind,
  appliesTo: string[],
  options: { digest?: string; approve?: boolean } = {},
): Promise<{ name: string; digest: string }> {
  const name = freshAdapterName(kind);
  const digest = options.digest ?? randomHex(32);
  const registered = await registerAdapter(
    db,
    { kind, name, digest, applies_to: appliesTo },
    "user:registrar",
  );
  if (!registered.ok) expect.fail(registered.error.message);
  if (options.approve !== false) {
    const approved = await decideAdapter(db, kind, name, "approve", "user:approver", "");
    if (!approved.ok) expect.fail(approved.error.message);
  }
  forgetServingAdapters(db);
  return { name, digest };
}
