import { randomUUID } from "node:crypto";
import { CONTEXT_HEADERS, JOB_ID_PATTERN, SdgateError, TENANT_PATTERN } from "@sdgate/shared";

export interface RequestContext {
  tenant: string;
  jobId: string;
  deadlineAtMs: number;
  previewEverySteps: number | undefined;
}

/** Reads the edge's context headers; a malformed one is a 400 naming the header. */
export function readContext(
  headers: { get(name: string): string | null },
  defaults: { deadlineMs: number; nowMs: number },
): RequestContext {
  const tenant = headers.get(CONTEXT_HEADERS.tenant) ?? "default";
  if (!TENANT_PATTERN.test(tenant)) throw badHeader(CONTEXT_HEADERS.tenant, "1–128 of [A-Za-z0-9_.:-]");
  const jobId = headers.get(CONTEXT_HEADERS.jobId) ?? randomUUID();
  if (!JOB_ID_PATTERN.test(jobId)) throw badHeader(CONTEXT_HEADERS.jobId, "1–128 of [A-Za-z0-9_.:-]");
  const deadline = headers.get(CONTEXT_HEADERS.deadline);
  if (deadline !== null && !/^\d{1,15}$/.test(deadline))
    throw badHeader(CONTEXT_HEADERS.deadline, "unix milliseconds");
  const previewEvery = headers.get(CONTEXT_HEADERS.previewEvery);
  if (previewEvery !== null && !/^\d{1,4}$/.test(previewEvery)) {
    throw badHeader(CONTEXT_HEADERS.previewEvery, "a whole number of steps");
  }
  return {
    tenant,
    jobId,
    deadlineAtMs: deadline === null ? defaults.nowMs + defaults.deadlineMs : Number(deadline),
    previewEverySteps: previewEvery === null ? undefined : Number(previewEvery),
  };
}

function badHeader(name: string, expected: string): SdgateError {
  return new SdgateError("invalid_request", `Header '${name}' must be ${expected}.`, { param: name });
}
