import type { EvaluationRun, ModelVersion } from "@sdgate/shared";
import { expect } from "vitest";
import app from "../index.ts";
import { ADMIN_TOKEN } from "../keys/testing.ts";
import { freshTinyAliasAt, tinyVersionHolding } from "../model-registry/testing.ts";
import { edgeEnv } from "../test-support/harness.ts";

/**
 * Test helpers for evaluation runs. Edge test files share one D1: tiny's versions are registered by
 * whichever test needs them first; each test points aliases of its own at them.
 */
export const NOBODY_HOLDS = "e".repeat(64);

/** The registry-governed edge, on both fakes (`healthy` holds the common digest, `healthyB` its own). */
export const governed = () => edgeEnv(["healthy", "healthyB"], { SDGATE_MODEL_GOVERNANCE: "registry" });

/** A call to the admin API with the admin token, on the {@link governed} edge. */
export function admin(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  headers.set("Authorization", `Bearer ${ADMIN_TOKEN}`);
  if (json !== undefined) headers.set("Content-Type", "application/json");
  const body = json === undefined ? {} : { body: JSON.stringify(json) };
  return Promise.resolve(app.request(path, { ...rest, ...body, headers }, governed()));
}

/** tiny's version holding `digest`, registered on first use. */
export const tinyAt = tinyVersionHolding;

/** A fresh alias of tiny at `version`, moved there by an approved promotion. */
export const aliasAt = (version: ModelVersion) => freshTinyAliasAt(version, "e");

export async function start(body: unknown): Promise<EvaluationRun> {
  const res = await admin("/admin/models/tiny/evaluations", { method: "POST", json: body });
  expect(res.status, await res.clone().text()).toBe(202);
  return (await res.json()) as EvaluationRun;
}

/** Reads the run until its object has finished it. */
export async function finished(id: string): Promise<EvaluationRun> {
  for (let i = 0; i < 80; i++) {
    const res = await admin(`/admin/evaluations/${id}`);
    expect(res.status).toBe(200);
    const run = (await res.json()) as EvaluationRun;
    if (run.status === "succeeded" || run.status === "failed") return run;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return expect.fail(`evaluation ${id} did not finish`);
}
