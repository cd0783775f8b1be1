import {
  canonicalRequest,
  EXPERIMENT_HEADER,
  isSdgateError,
  MAX_REQUEST_BODY_BYTES,
  parseGenerationRequest,
  type ResolvedGenerationRequest,
  SdgateError,
  sha256Hex,
} from "@sdgate/shared";
import type { Context, Hono, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type CacheDirective, cacheDirective } from "../cache/directive.ts";
import { cacheKeyOfCanonical, tenantOf, tenantTag } from "../cache/key.ts";
import { reportSplitOutcome } from "../canary/report.ts";
import {
  callerLocation,
  inBackground,
  lookupReplay,
  type Served,
  serveGeneration,
} from "../gateway/serve.ts";
import type { AppEnv } from "../hono-env.ts";
import { acceptAsync } from "../jobs/submit.ts";
import { authorize, keyAuth } from "../keys/authorize.ts";
import { type Admission, modelCredits } from "../limits/index.ts";
import { resolveServed, servingModel, servingRefiner } from "../model-registry/serving.ts";
import { enforceGovernance } from "../policies/index.ts";
import { safetyDecisionsOfBody } from "../policies/safety-decisions.ts";
import { experimentHeader, recordGeneration } from "../runs/record.ts";
import { randomSeed } from "../seed.ts";
import { type PreparedBody, recallPrepared, rememberPrepared } from "./generations-memo.ts";
import { urlResponseBody } from "./images.ts";
import { onOperation } from "./operation.ts";
import { serverTiming } from "./server-timing.ts";

/** Generation requests carry base64 input images for img2img and inpainting. */
export const MAX_BODY_BYTES = MAX_REQUEST_BODY_BYTES;

/** A JSON body or 415: the generation routes' (and A1111's) body check. */
export const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const mediaType = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new SdgateError(
      "unsupported_media_type",
      "The request body must be JSON ('Content-Type: application/json').",
    );
  }
  await next();
};

/** At most {@link MAX_BODY_BYTES} of body, or 413. */
export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new SdgateError("payload_too_large", `The request body must be at most ${MAX_BODY_BYTES} bytes.`);
  },
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new SdgateError("invalid_request", "The request body is not valid JSON.");
  }
}

function invalid(problem: { param: string | null; message: string }): SdgateError {
  return new SdgateError("invalid_request", problem.message, { param: problem.param });
}

function responseHeaders(result: Served): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-Cache": result.cache,
    "X-Attempts": String(result.backend?.attempts ?? 0),
  };
  if (result.backend) {
    headers["X-Backend"] = result.backend.name;
    headers["X-Backend-Region"] = result.backend.region;
  }
  return headers;
}

/** What the route knows before it asks the key's Durable Object: the request, its cost and its cache entry. */
interface Prepared {
  request: ParsedRequest;
  resolved: ResolvedGenerationRequest;
  cost: number;
  hash: string;
  where: { tenantTag: string; cacheKey: string };
  served: PreparedBody<ParsedRequest>["served"];
  directive: CacheDirective;
  /** The replay cache's body when it already has this generation (directive `use` only). */
  replay: string | null;
  /** The coalescer's index said "stored" but R2 had nothing (see `lookupReplay`). */
  staleIndex: boolean;
}

type ParsedRequest = Extract<ReturnType<typeof parseGenerationRequest>, { ok: true }>["value"];

/** Checks and resolves a body, fixing its seed, and hashes it into its audit hash and cache key. */
async function prepareBody(
  c: Context<AppEnv>,
  text: string,
  tenant: string,
): Promise<PreparedBody<ParsedRequest>> {
  const parsed = parseGenerationRequest(parseJson(text));
  if (!parsed.ok) throw invalid(parsed.error);
  const request = parsed.value;
  const config = c.get("config");
  if (request.response_format === "url" && config.urlSigningKey === null) {
    throw new SdgateError(
      "invalid_request",
      "response_format 'url' is not enabled on this server (it has no URL signing key); use 'b64_json'.",
      { param: "response_format" },
    );
  }
  const [served, refiner] = await Promise.all([
    servingModel(config, request.model),
    servingRefiner(config, request),
  ]);
  const resolved = resolveServed(request, served, request.seed ?? randomSeed(), refiner);
  // The canonical request is made once and serves both digests.
  const canonical = canonicalRequest(resolved);
  const [hash, tenantTagHex, cacheKeyHex] = await Promise.all([
    sha256Hex(canonical),
    tenantTag(tenant),
    cacheKeyOfCanonical(tenant, resolved.model, canonical, config.registry),
  ]);
  const prepared = {
    request,
    resolved,
    cost: modelCredits(resolved, served.info.architecture),
    hash,
    where: { tenantTag: tenantTagHex, cacheKey: cacheKeyHex },
    served: {
      ref: served.ref,
      alias: served.alias,
      policy: served.policy,
      split: served.split,
      architecture: served.info.architecture,
      refinerRef: refiner?.ref ?? null,
    },
    untilMs: earliestUntil(served.untilMs, refiner?.untilMs ?? null),
  };
  if (request.seed !== undefined) rememberPrepared(config, tenant, text, prepared);
  return prepared;
}

/** The earlier of two "holds until" times (`null`: always). */
function earliestUntil(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

/**
 * A generation request checked, resolved (its seed fixed), priced and hashed as this route does it,
 * for work that submits it as a job itself (a sweep's cells); the job reads the replay cache itself.
 */
export async function prepareForJob(c: Context<AppEnv>, request: object): Promise<Prepared> {
  const body = await prepareBody(c, JSON.stringify(request), tenantOf(c.get("apiKey")));
  return { ...body, directive: "use", replay: null, staleIndex: false };
}

// This route reads variables with `c.get(name)`: Hono's `c.var` copies every variable into a new
// object on each access, and the hot path reads them a dozen times per request.
async function prepare(c: Context<AppEnv>): Promise<Prepared> {
  const text = await c.req.text();
  // The tenant is the key's id from its stored record; the Durable Object confirms the key next.
  const tenant = tenantOf(c.get("apiKey"));
  const body =
    recallPrepared<ParsedRequest>(c.get("config"), tenant, text) ?? (await prepareBody(c, text, tenant));
  const directive = cacheDirective(c.req.header("Cache-Control"), c.req.header("Pragma"));
  // A seed this request just drew makes a cache key nobody has asked for: nothing to look up. (On
  // the rare chance that it matches a stored seed, the shard's `run` still answers it as a hit.)
  const mayBeStored = directive === "use" && body.request.seed !== undefined;
  const replay = mayBeStored ? await lookupReplay(c, body.where) : { body: null, staleIndex: false };
  return { ...body, directive, replay: replay.body, staleIndex: replay.staleIndex };
}

/** A synchronous generation's run: its request id, key and experiment (checked before it runs). */
const runOf = (c: Context<AppEnv>) => ({
  id: c.get("requestId"),
  keyId: c.get("apiKey").id,
  experiment: experimentHeader(c.req.header(EXPERIMENT_HEADER)),
});

/**
 * Runs an admitted miss on the fleet and settles it: the credits charged (nothing for a generation
 * that joined another's job) and its audit row in one step of the key's object, before the response
 * counts as done. Never rejects: a failure comes back as a value, already refunded and audited.
 */
async function runAndSettle(
  c: Context<AppEnv>,
  prepared: Prepared,
  admission: Admission,
  startedMs: number,
): Promise<{ ok: true; result: Served } | { ok: false; error: unknown }> {
  const config = c.get("config");
  const { request, resolved, cost, where, directive, staleIndex } = prepared;
  try {
    const result = await serveGeneration(
      c,
      {
        ...where,
        request: resolved,
        registry: config.registry,
        timeoutMs: config.backendTimeoutMs,
        location: callerLocation(c),
        requestId: c.get("requestId"),
      },
      { linked: request.response_format === "url", directive, staleIndex },
    );
    // A replay found late, or a request that joined another's job, ran no GPU work of its own.
    const charged = result.backend === null || result.cache === "COALESCED" ? 0 : cost;
    inBackground(
      c,
      recordGeneration(config, resolved, {
        ...runOf(c),
        status: "succeeded",
        cost: charged,
        latencyMs: Date.now() - startedMs,
        backend: result.backend?.name ?? null,
        errorCode: null,
        where: directive === "skip" ? null : where,
        ...(result.backend === null
          ? {}
          : { ran: { engineVersion: config.registry.engineVersion, timingsMs: result.backend.timingsMs } }),
      }),
    );
    if (prepared.served.split !== null && result.backend !== null)
      inBackground(
        c,
        reportSplitOutcome(config.canaryWatch, prepared.served.split, {
          status: 200,
          latencyMs: Date.now() - startedMs,
        }),
      );
    await admission.settle({
      ok: true,
      actualCost: charged,
      end: {
        status: 200,
        backend: result.backend?.name ?? null,
        latencyMs: Date.now() - startedMs,
        // The output safety check's decisions, each with its image's hash (never the image).
        detail: {
          cache: result.cache,
          ...(resolved.safety_check === undefined ? {} : safetyDecisionsOfBody(result.body)),
        },
      },
    });
    return { ok: true, result };
  } catch (error) {
    const status = isSdgateError(error) ? error.status : 500;
    inBackground(
      c,
      recordGeneration(config, resolved, {
        ...runOf(c),
        status: "failed",
        cost: 0,
        latencyMs: Date.now() - startedMs,
        backend: isSdgateError(error) ? (error.headers["X-Backend"] ?? null) : null,
        errorCode: isSdgateError(error) ? error.code : "internal_error",
        where: null,
      }),
    );
    if (prepared.served.split !== null)
      inBackground(
        c,
        reportSplitOutcome(config.canaryWatch, prepared.served.split, {
          status,
          latencyMs: Date.now() - startedMs,
        }),
      );
    await admission.settle({
      ok: false,
      end: {
        status,
        backend: isSdgateError(error) ? (error.headers["X-Backend"] ?? null) : null,
        latencyMs: Date.now() - startedMs,
        detail: { cache: null },
      },
    });
    return { ok: false, error };
  }
}

/**
 * `POST /v1/images/generations` (OpenAI Images compatible): auth (the key's stored record) → check
 * and resolve the request (fixing its seed) → the replay cache (this isolate's memory, else one call
 * to the cache key's coalescer shard, whose index sends only real hits on to the Cache API or R2) → one call to
 * the key's Durable Object that confirms the key and admits the request (a hit takes a request token
 * only; a miss also reserves its cost and a concurrency slot) → on a miss, one coalesced job per cache
 * key on the fleet with failover → answer with `b64_json` images or signed `url`s. A miss is settled
 * (its credits and its audit row, in one step of the key's object) before it is answered, by work
 * that outlives a client that hangs up (`waitUntil`); a replay's row is written as it is admitted.
 */
export function registerGenerations(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "createImage",
    keyAuth("createImage", { deferred: true }),
    requireJson,
    limitBody,
    async (c) => {
      const startedMs = Date.now();
      const prepared = await prepare(c);
      const { request, resolved, cost, hash, where, replay, served } = prepared;
      // A bad experiment name is refused before anything runs or is charged.
      experimentHeader(c.req.header(EXPERIMENT_HEADER));
      // The team's grants and prompt policy, before a job, a charge or a replay: a refused request gets nothing.
      await enforceGovernance(c, resolved, served);
      // `Prefer: respond-async`, or a request too long to wait for: 202 with a job (jobs/submit.ts).
      const job = await acceptAsync(c, prepared);
      if (job !== null) return job;
      const requestId = c.get("requestId");
      const context = { requestHash: hash, requestId };
      // A replay's audit row is written by the key's object as it admits it, with no reservation.
      const hit = { status: 200, backend: null, latencyMs: Date.now() - startedMs, detail: { cache: "HIT" } };
      const admission = await authorize(c, {
        cost: replay === null ? cost : null,
        model: served.ref,
        audit: replay === null ? context : { ...context, hit },
      });
      let result: Served;
      if (replay !== null) {
        result = { cache: "HIT", body: replay, backend: null };
        inBackground(
          c,
          recordGeneration(c.get("config"), resolved, {
            ...runOf(c),
            status: "succeeded",
            cost: 0,
            latencyMs: Date.now() - startedMs,
            backend: null,
            errorCode: null,
            where,
          }),
        );
      } else {
        // Run and settle as background work that the response merely waits for: a client that hangs
        // up cancels this handler, never the settlement or the audit row of work already under way.
        const work = runAndSettle(c, prepared, admission, startedMs);
        inBackground(c, work);
        const outcome = await work;
        if (!outcome.ok) throw outcome.error;
        result = outcome.result;
      }
      const body =
        request.response_format === "url" ? await urlResponseBody(c, result.body, where) : result.body;
      return c.body(body, 200, {
        ...responseHeaders(result),
        "Server-Timing": serverTiming(result, Date.now() - startedMs),
      });
    },
  );
}
