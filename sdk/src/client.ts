import type {
  Estimate,
  Health,
  OperationId,
  Operations,
  Principal,
  UsageQuery,
  UsageReport,
} from "@sdgate/shared";
import { callOf, callOperation } from "./http/operation.ts";
import { DEFAULT_MAX_RETRIES } from "./http/retry.ts";
import { type RequestOptions, Transport } from "./http/transport.ts";
import { Adapters } from "./resources/adapters.ts";
import { Audit } from "./resources/audit.ts";
import { Backends } from "./resources/backends.ts";
import { Canary } from "./resources/canary.ts";
import { Evaluations } from "./resources/evaluations.ts";
import { type GenerationBody, Images } from "./resources/images.ts";
import { Jobs } from "./resources/jobs.ts";
import { Keys } from "./resources/keys.ts";
import { Models } from "./resources/models.ts";
import { People } from "./resources/people.ts";
import { Prompts } from "./resources/prompts.ts";
import { Registry } from "./resources/registry.ts";
import { RoleMappings } from "./resources/role-mappings.ts";
import { Runs } from "./resources/runs.ts";
import { Shares } from "./resources/shares.ts";
import { Sweeps } from "./resources/sweeps.ts";
import { Teams } from "./resources/teams.ts";
import { Webhooks } from "./resources/webhooks.ts";
import { jsonObject } from "./wire/object.ts";

/**
 * Each call's limit unless the client or the call says otherwise: 10 minutes, as OpenAI's SDKs, since
 * a synchronous generation takes as long as its GPU does.
 *
 * @example
 * new Sdgate({ baseUrl, apiKey, timeoutMs: DEFAULT_TIMEOUT_MS / 10 }); // one minute
 */
export const DEFAULT_TIMEOUT_MS = 600_000;

/**
 * What a client is made with; checked once, by the constructor.
 *
 * @example
 * const options: SdgateOptions = { baseUrl: "https://images.example.com", apiKey: "sk_…", maxRetries: 4, timeoutMs: 120_000 };
 */
export interface SdgateOptions {
  /** The edge's origin (and path prefix, if it is mounted under one): `https://images.example.com`. */
  baseUrl: string;
  /** An API key (`sk_…`), for the `/v1/*` routes. */
  apiKey?: string;
  /** The admin token, for the `/admin/*` routes. Never sent to a `/v1/*` route. */
  adminToken?: string;
  /**
   * In a browser on the edge's own origin, a signed-in person's session cookie stands in for the
   * admin token: `/v1/me` and the `/admin/*` routes within their roles (the edge refuses a
   * cross-site call that changes anything). The `/v1/*` routes still need an `apiKey`.
   *
   * @example
   * const me = await new Sdgate({ baseUrl: location.origin, session: true }).me();
   */
  session?: boolean;
  /** Another fetch (a test's, a proxy's); the platform's by default. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Retries after the first try, for what may be retried (see the README); default 2. */
  maxRetries?: number;
  /** Each call's limit, retries included; `null` for none; default 10 minutes. */
  timeoutMs?: number | null;
  /**
   * Names the program in `User-Agent` (`sdgate-cli/0.1`), so the edge's logs can tell callers apart.
   * Browsers may keep their own.
   */
  userAgent?: string;
}

function baseUrlOf(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Sdgate: baseUrl is not a URL: '${text}'.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError("Sdgate: baseUrl must be an http:// or https:// URL.");
  }
  if (url.search !== "" || url.hash !== "")
    throw new TypeError("Sdgate: baseUrl must not have a query or fragment.");
  return url;
}

function secretOf(name: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.trim() === "" || /[\s]/.test(value))
    throw new TypeError(`Sdgate: ${name} must be a non-empty token without spaces.`);
  return value;
}

function userAgentOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  // RFC 9110 §10.1.5: product tokens; no control characters, which would end the header.
  if (!/^[\x20-\x7e]{1,200}$/.test(value))
    throw new TypeError("Sdgate: userAgent must be 1-200 printable ASCII characters.");
  return value;
}

function instant(value: string | Date | undefined): string | undefined {
  return value instanceof Date ? value.toISOString() : value;
}

/**
 * A client for one sdgate edge. Each method is one operation of its OpenAPI document (`/openapi.json`),
 * named after its `operationId` (see {@link CLIENT_METHODS}); answers are parsed with the contract's schemas.
 * Options are checked here, once: a bad one throws a `TypeError` naming it.
 *
 * @example
 * const client = new Sdgate({ baseUrl: "https://images.example.com", apiKey: "sk_…" });
 * const { response } = await client.images.generate({ prompt: "a lighthouse at dusk", seed: 42 });
 */
export class Sdgate {
  readonly images: Images;
  readonly jobs: Jobs;
  readonly models: Models;
  readonly adapters: Adapters;
  readonly webhooks: Webhooks;
  readonly keys: Keys;
  readonly audit: Audit;
  readonly backends: Backends;
  readonly people: People;
  readonly teams: Teams;
  readonly roleMappings: RoleMappings;
  readonly registry: Registry;
  readonly evaluations: Evaluations;
  readonly canary: Canary;
  readonly runs: Runs;
  readonly sweeps: Sweeps;
  readonly prompts: Prompts;
  readonly shares: Shares;
  readonly #transport: Transport;

  constructor(options: SdgateOptions) {
    const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > 10) {
      throw new TypeError(`Sdgate: maxRetries must be a whole number from 0 to 10, not ${maxRetries}.`);
    }
    const timeoutMs = options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : options.timeoutMs;
    if (timeoutMs !== null && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
      throw new TypeError(
        `Sdgate: timeoutMs must be a positive number of milliseconds or null, not ${timeoutMs}.`,
      );
    }
    const custom = options.fetch;
    this.#transport = new Transport({
      baseUrl: baseUrlOf(options.baseUrl),
      apiKey: secretOf("apiKey", options.apiKey),
      adminToken: secretOf("adminToken", options.adminToken),
      session: options.session === true,
      // Called as a plain function: Workers' fetch refuses to run as a method of another object.
      fetch: custom ?? ((input, init) => fetch(input, init)),
      maxRetries,
      timeoutMs,
      userAgent: userAgentOf(options.userAgent),
    });
    this.jobs = new Jobs(this.#transport, { maxRetries });
    this.images = new Images(this.#transport, this.jobs);
    this.models = new Models(this.#transport);
    this.adapters = new Adapters(this.#transport);
    this.webhooks = new Webhooks(this.#transport);
    this.keys = new Keys(this.#transport);
    this.audit = new Audit(this.#transport);
    this.backends = new Backends(this.#transport);
    this.people = new People(this.#transport);
    this.teams = new Teams(this.#transport);
    this.roleMappings = new RoleMappings(this.#transport);
    this.registry = new Registry(this.#transport);
    this.evaluations = new Evaluations(this.#transport);
    this.canary = new Canary(this.#transport);
    this.runs = new Runs(this.#transport);
    this.sweeps = new Sweeps(this.#transport);
    this.prompts = new Prompts(this.#transport);
    this.shares = new Shares(this.#transport);
  }

  /**
   * `POST /v1/estimate` (`estimateGeneration`): what a request would cost (GPU-seconds, expected wait,
   * price, credits) without running it.
   *
   * @example
   * const { gpu_seconds, expected_total_ms, credits } = await client.estimate({ prompt: "x", steps: 30 });
   */
  async estimate(body: GenerationBody, options: RequestOptions = {}): Promise<Estimate> {
    return callOperation(this.#transport, "estimateGeneration", { body }, options);
  }

  /**
   * `GET /admin/usage` (`getUsage`), with the admin token or a person's session (their teams only;
   * money only for the `billing` role): generations, failures, cache hits, images, credits, backend
   * seconds, cache savings and mean latency per key, team, person, model, backend or key label and day
   * (or hour). `from` and `to` may also be `Date`s,
   * sent as RFC 3339.
   *
   * @example
   * const report = await admin.usage({ from: "2026-11-01", group_by: "model" });
   * console.log(report.totals.credits);
   */
  async usage(
    query: Omit<UsageQuery, "from" | "to"> & {
      from?: string | Date | undefined;
      to?: string | Date | undefined;
    } = {},
    options: RequestOptions = {},
  ): Promise<UsageReport> {
    const dated = { ...query, from: instant(query.from), to: instant(query.to) };
    return callOperation(this.#transport, "getUsage", { query: dated }, options);
  }

  /**
   * `GET /v1/me` (`getMe`): who this client is to the edge: an API key (its team and what its scopes
   * allow) or the admin token (`break_glass`), with the permissions in force. Sends the API key when
   * the client has one, else the admin token.
   *
   * @example
   * const { kind, id, permissions } = await client.me();
   */
  async me(options: RequestOptions = {}): Promise<Principal> {
    return callOperation(this.#transport, "getMe", {}, options);
  }

  /**
   * `GET /healthz` (`getHealth`): the edge is up. No credential.
   *
   * @example
   * await client.health(); // { status: "ok" }
   */
  async health(options: RequestOptions = {}): Promise<Health> {
    return callOperation(this.#transport, "getHealth", {}, options);
  }

  /**
   * `GET /openapi.json` (`getOpenApiDocument`): the API's OpenAPI 3.1 document. No credential.
   *
   * @example
   * const document = await client.openApiDocument();
   */
  async openApiDocument(options: RequestOptions = {}): Promise<Record<string, unknown>> {
    return (
      await this.#transport.json(callOf("getOpenApiDocument"), jsonObject<Record<string, unknown>>, options)
    ).data;
  }
}

/**
 * Whether the SDK leaves an operation to others: a browser's (the sign-in flow, the session cookie),
 * which pages navigate to, or AUTOMATIC1111's API (tagged `a1111`), which A1111's own clients call.
 */
type BrowserOnly<K extends OperationId> = Operations[K]["access"]["kind"] extends "browser" | "session"
  ? true
  : Operations[K] extends { tags: readonly ["a1111"] }
    ? true
    : false;

/**
 * Each operation of the contract (`OPERATIONS` in `@sdgate/shared`, which the edge's routes and its
 * OpenAPI document are made from) and the client method that calls it: an operation without a method
 * fails to compile, and a test checks each names a method.
 *
 * @example
 * CLIENT_METHODS.createImage // "images.generate"
 */
export const CLIENT_METHODS = {
  getHealth: "health",
  getMe: "me",
  // A browser's sign-in flow and its session cookie: pages navigate there; no client method.
  startOidcSignIn: null,
  completeOidcSignIn: null,
  useLocalSignInLink: null,
  signOut: null,
  getOpenApiDocument: "openApiDocument",
  listModels: "models.list",
  listAdapters: "adapters.list",
  listAdapterRecords: "adapters.records",
  registerAdapter: "adapters.register",
  getAdapterRecord: "adapters.get",
  approveAdapter: "adapters.approve",
  rejectAdapter: "adapters.reject",
  deprecateAdapter: "adapters.deprecate",
  removeAdapter: "adapters.remove",
  createImage: "images.generate",
  getImageFile: "images.getFile",
  estimateGeneration: "estimate",
  getJob: "jobs.get",
  streamJobEvents: "jobs.events",
  cancelJob: "jobs.cancel",
  getWebhookSecret: "webhooks.secret",
  createKey: "keys.create",
  listKeys: "keys.list",
  getKey: "keys.get",
  updateKey: "keys.update",
  revokeKey: "keys.revoke",
  rotateKey: "keys.rotate",
  listAudit: "audit.list",
  verifyAudit: "audit.verify",
  listBackends: "backends.list",
  getUsage: "usage",
  listPeople: "people.list",
  getPerson: "people.get",
  deprovisionPerson: "people.deprovision",
  enablePerson: "people.enable",
  listTeams: "teams.list",
  createTeam: "teams.create",
  getTeam: "teams.get",
  updateTeam: "teams.rename",
  getTeamBudget: "teams.budget",
  setTeamBudget: "teams.setBudget",
  deleteTeamBudget: "teams.removeBudget",
  getTeamBudgetAlertSecret: "teams.budgetAlertSecret",
  getTeamPolicy: "teams.policy",
  setTeamPolicy: "teams.setPolicy",
  deleteTeamPolicy: "teams.removePolicy",
  getTeamModels: "teams.models",
  setTeamModels: "teams.setModels",
  deleteTeam: "teams.delete",
  listTeamMembers: "teams.members",
  addTeamMember: "teams.addMember",
  updateTeamMember: "teams.updateMember",
  removeTeamMember: "teams.removeMember",
  listRoleMappings: "roleMappings.list",
  createRoleMapping: "roleMappings.create",
  updateRoleMapping: "roleMappings.update",
  deleteRoleMapping: "roleMappings.delete",
  deprovisionGroup: "roleMappings.deprovisionGroup",
  startEvaluation: "evaluations.start",
  listEvaluations: "evaluations.list",
  getEvaluation: "evaluations.get",
  getEvaluationImage: "evaluations.image",
  listRegisteredModels: "registry.list",
  createRegisteredModel: "registry.create",
  getRegisteredModel: "registry.get",
  listModelVersions: "registry.versions",
  registerModelVersion: "registry.registerVersion",
  listModelAliases: "registry.aliases",
  getAliasHistory: "registry.history",
  listPromotions: "registry.promotions",
  requestPromotion: "registry.requestPromotion",
  approvePromotion: "registry.approve",
  rejectPromotion: "registry.reject",
  listModelPolicies: "registry.policies",
  getModelPolicy: "registry.policy",
  setModelPolicy: "registry.setPolicy",
  deleteModelPolicy: "registry.removePolicy",
  getAliasSplit: "canary.get",
  setAliasSplit: "canary.start",
  deleteAliasSplit: "canary.stop",
  listRuns: "runs.list",
  getRun: "runs.get",
  annotateRun: "runs.annotate",
  listExperiments: "runs.experiments",
  createSweep: "sweeps.create",
  listSweeps: "sweeps.list",
  getSweep: "sweeps.get",
  resumeSweep: "sweeps.resume",
  cancelSweep: "sweeps.cancel",
  tokenizePrompt: "prompts.tokenize",
  createShare: "shares.create",
  listShares: "shares.list",
  revokeShare: "shares.revoke",
  getShared: "shares.get",
  // AUTOMATIC1111's API: A1111's own clients call it (modelfusion, Open WebUI, webuiapi); sdgate's
  // SDK has images.generate for the same work.
  sdapiTextToImage: null,
  sdapiImageToImage: null,
  sdapiProgress: null,
  sdapiInterrupt: null,
  sdapiSkip: null,
  sdapiGetOptions: null,
  sdapiSetOptions: null,
  sdapiModels: null,
  sdapiSamplers: null,
  sdapiSchedulers: null,
  sdapiVaes: null,
  sdapiUpscalers: null,
  sdapiLatentUpscaleModes: null,
  sdapiLoras: null,
  sdapiPngInfo: null,
  sdapiControlNetModels: null,
  sdapiControlNetModules: null,
} as const satisfies { [K in OperationId]: BrowserOnly<K> extends true ? null : string };
