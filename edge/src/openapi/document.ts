import {
  auditListQuerySchema,
  auditPageSchema,
  auditVerifyQuerySchema,
  chainReportSchema,
  createKeyBodySchema,
  errorEnvelopeSchema,
  estimateSchema,
  fleetSchema,
  generationRequestSchema,
  generationResponseSchema,
  healthSchema,
  jobViewSchema,
  jobWithResultSchema,
  keyDetailSchema,
  keyListQuerySchema,
  keyListSchema,
  keyViewSchema,
  keyWithSecretSchema,
  modelListSchema,
  revokedKeySchema,
  rotateKeyBodySchema,
  updateKeyBodySchema,
  urlGenerationResponseSchema,
  usageQuerySchema,
  usageReportSchema,
  webhookPayloadSchema,
  webhookSecretSchema,
} from "@sdgate/shared";
import { z } from "zod";
import { ROUTE_ACCESS, type RouteAccess, type RouteId } from "../keys/route-scopes.ts";

/** One operation of the API, as the document lists it. */
interface Operation {
  method: "get" | "post" | "patch" | "delete";
  /** OpenAPI path template (`/v1/jobs/{id}`). */
  path: string;
  /** Unique and stable: client generators (and the SDK's method names) are made from it. */
  operationId: string;
  summary: string;
  /** Query parameters, beyond the path's `{id}`: see {@link queryOf}. */
  query?: QueryDoc;
  /** A `components.schemas` name for the JSON body. */
  body?: string;
  /** Success status and, when it has one here, its `components.schemas` name (several: any of them). */
  success: { status: number; schema?: string | readonly string[]; description: string };
}

const ID = { name: "id", in: "path", required: true, schema: { type: "string" } } as const;

/** A route's query parameters: names, types and limits from the contract's schema, descriptions from here. */
interface QueryDoc {
  schema: z.ZodObject;
  descriptions: Readonly<Record<string, string>>;
}

/** Every parameter the schema takes must be described: a new one cannot go undocumented. */
function queryOf<S extends z.ZodObject>(
  schema: S,
  descriptions: { readonly [K in keyof S["shape"]]-?: string },
): QueryDoc {
  return { schema, descriptions };
}

const OPERATIONS: readonly Operation[] = [
  {
    method: "get",
    path: "/healthz",
    operationId: "getHealth",
    summary: "Liveness of the edge.",
    success: { status: 200, schema: "Health", description: "Up." },
  },
  {
    method: "get",
    path: "/openapi.json",
    operationId: "getOpenApiDocument",
    summary: "This document.",
    success: { status: 200, description: "OpenAPI 3.1." },
  },
  {
    method: "get",
    path: "/v1/models",
    operationId: "listModels",
    summary: "The models this key may use (OpenAI's list shape).",
    success: { status: 200, schema: "ModelList", description: "The models." },
  },
  {
    method: "post",
    path: "/v1/images/generations",
    operationId: "createImage",
    summary:
      "Generate images (OpenAI Images compatible); a long one, or `Prefer: respond-async`, becomes a job (202).",
    body: "GenerationRequest",
    success: {
      status: 200,
      // `b64_json`, or signed links for `response_format: "url"`.
      schema: ["GenerationResponse", "UrlGenerationResponse"],
      description:
        "The images; `X-Cache` says HIT, MISS, BYPASS or COALESCED, and `Server-Timing` splits the time between the fleet (`fleet`, `engine`) and the edge (`edge`).",
    },
  },
  {
    method: "get",
    path: "/v1/images/{id}",
    operationId: "getImageFile",
    summary: "An image behind a signed, expiring link (`response_format: url`).",
    success: { status: 200, description: "The image bytes." },
  },
  {
    method: "post",
    path: "/v1/estimate",
    operationId: "estimateGeneration",
    summary: "What a generation request would cost, without running it.",
    body: "GenerationRequest",
    success: {
      status: 200,
      schema: "Estimate",
      description: "GPU-seconds, expected wait, cost and credits.",
    },
  },
  {
    method: "get",
    path: "/v1/jobs/{id}",
    operationId: "getJob",
    summary: "An async job's state and, once done, its result.",
    success: { status: 200, schema: "Job", description: "The job." },
  },
  {
    method: "get",
    path: "/v1/jobs/{id}/events",
    operationId: "streamJobEvents",
    summary: "An async job's progress as server-sent events.",
    success: {
      status: 200,
      description:
        "text/event-stream: `attempt`, `queued`, `started`, `progress`, then one of `succeeded`, `failed`, `cancelled` (each carrying the job as `JobView`); numbered, so `Last-Event-ID` resumes.",
    },
  },
  {
    method: "post",
    path: "/v1/jobs/{id}/cancel",
    operationId: "cancelJob",
    summary: "Cancel an async job; its credits are refunded.",
    success: { status: 200, schema: "JobView", description: "The cancelled job." },
  },
  {
    method: "get",
    path: "/v1/webhooks/secret",
    operationId: "getWebhookSecret",
    summary: "The secret this key's webhooks are signed with (Standard Webhooks).",
    success: { status: 200, schema: "WebhookSecret", description: "The secret." },
  },
  {
    method: "post",
    path: "/admin/keys",
    operationId: "createKey",
    summary: "Create an API key; its secret is shown this once.",
    body: "CreateKey",
    success: { status: 201, schema: "KeyWithSecret", description: "The key and its secret." },
  },
  {
    method: "get",
    path: "/admin/keys",
    operationId: "listKeys",
    summary: "List keys, newest first (never their secrets).",
    query: queryOf(keyListQuerySchema, {
      limit: "Keys in this page.",
      cursor: "Continue after the last page (its `next_cursor`).",
    }),
    success: { status: 200, schema: "KeyList", description: "A page of keys." },
  },
  {
    method: "get",
    path: "/admin/keys/{id}",
    operationId: "getKey",
    summary: "One key, with what is left of its limits now.",
    success: { status: 200, schema: "KeyDetail", description: "The key." },
  },
  {
    method: "patch",
    path: "/admin/keys/{id}",
    operationId: "updateKey",
    summary: "Change a key in place (name, scopes, limits, models, expiry, addresses, labels).",
    body: "UpdateKey",
    success: { status: 200, schema: "Key", description: "The key." },
  },
  {
    method: "delete",
    path: "/admin/keys/{id}",
    operationId: "revokeKey",
    summary: "Revoke a key, everywhere at once.",
    success: { status: 200, schema: "RevokedKey", description: "The revoked key." },
  },
  {
    method: "post",
    path: "/admin/keys/{id}/rotate",
    operationId: "rotateKey",
    summary: "Give a key a new secret; the old one works for a grace period.",
    body: "RotateKey",
    success: { status: 200, schema: "KeyWithSecret", description: "The key and its new secret." },
  },
  {
    method: "get",
    path: "/admin/audit",
    operationId: "listAudit",
    summary: "The hash-chained audit log, newest first.",
    query: queryOf(auditListQuerySchema, {
      key_id: "Only the entries about this key.",
      limit: "Entries in this page.",
      before: "Only entries older than this `seq` (the last page's `next_before`).",
    }),
    success: { status: 200, schema: "AuditPage", description: "A page of entries." },
  },
  {
    method: "get",
    path: "/admin/audit/verify",
    operationId: "verifyAudit",
    summary: "Walk the audit chain a page at a time and report the first broken row.",
    query: queryOf(auditVerifyQuerySchema, {
      after_seq: "Continue after this row (the last page's `next_after_seq`).",
      limit: "Rows to check in this request.",
    }),
    success: { status: 200, schema: "ChainReport", description: "The report." },
  },
  {
    method: "get",
    path: "/admin/backends",
    operationId: "listBackends",
    summary: "The backend fleet with each backend's breaker and probe state.",
    success: { status: 200, schema: "Fleet", description: "The fleet." },
  },
  {
    method: "get",
    path: "/admin/usage",
    operationId: "getUsage",
    summary: "Generations and credits per key (or key label) and day or hour.",
    query: queryOf(usageQuerySchema, {
      key_id: "Only this key's generations.",
      from: "RFC 3339 or a date; default 30 days before `to`.",
      to: "RFC 3339 or a date; default now.",
      interval: "One row per group and day, or hour.",
      group_by: "`key`, or `metadata.<label>` for the keys' label.",
    }),
    success: { status: 200, schema: "UsageReport", description: "The report." },
  },
];

function jsonSchema(schema: z.ZodType, io: "input" | "output") {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** Who may call an operation, from the one table every route's guard reads (`ROUTE_ACCESS`). */
function securityOf(op: Operation): Array<Record<string, string[]>> {
  const access = ROUTE_ACCESS[`${op.method.toUpperCase()} ${op.path}` as RouteId] as RouteAccess | undefined;
  if (access === undefined) throw new Error(`openapi: ${op.method} ${op.path} is not in ROUTE_ACCESS`);
  switch (access.kind) {
    case "public":
    case "signed_link":
      return [];
    case "admin_token":
      return [{ adminToken: [] }];
    case "api_key":
      return [{ apiKey: [access.scope] }];
  }
}

function queryParameters(query: QueryDoc | undefined) {
  if (query === undefined) return [];
  const { properties = {}, required = [] } = jsonSchema(query.schema, "input") as {
    properties?: Record<string, unknown>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, schema]) => ({
    name,
    in: "query",
    required: required.includes(name),
    description: query.descriptions[name],
    schema,
  }));
}

function schemaRef(schema: string | readonly string[]) {
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  // anyOf, not oneOf: the forms share their other fields, so only `data`'s items tell them apart.
  return typeof schema === "string" ? ref(schema) : { anyOf: schema.map(ref) };
}

function operation(op: Operation) {
  const security = securityOf(op);
  const query = queryParameters(op.query);
  const parameters = [...(op.path.includes("{id}") ? [ID] : []), ...query];
  const content = (schema?: string | readonly string[]) =>
    schema === undefined ? undefined : { "application/json": { schema: schemaRef(schema) } };
  const error = { description: "An error envelope naming the field at fault.", content: content("Error") };
  return {
    operationId: op.operationId,
    summary: op.summary,
    security,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(op.body === undefined ? {} : { requestBody: { required: true, content: content(op.body) } }),
    responses: {
      [String(op.success.status)]: {
        description: op.success.description,
        ...(op.success.schema === undefined ? {} : { content: content(op.success.schema) }),
      },
      "4XX": error,
      "5XX": error,
    },
  };
}

/**
 * The OpenAPI 3.1 document of the edge's API, built from the same zod schemas the routes validate
 * with, so a request body documented here is the one that is accepted. Served at `GET /openapi.json`;
 * a test checks that it lists exactly the routes the app registers.
 */
export function openApiDocument(origin = "/"): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method] = operation(op);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "sdgate",
      version: "0.1.0",
      description:
        "A self-hostable Stable Diffusion image API: OpenAI-compatible generations, API keys with exact limits, a replay cache and failover across GPU backends.",
    },
    // Where the API is, as the document was asked for (its own origin): generated clients call it there.
    servers: [{ url: origin, description: "This sdgate edge." }],
    paths,
    // What the edge POSTs to a job's `Sdgate-Webhook-Url` when the job ends, signed (Standard Webhooks).
    webhooks: {
      jobEnded: {
        post: {
          operationId: "jobEnded",
          summary: "A job ended: the job and, when it succeeded, links to its images.",
          security: [],
          requestBody: {
            required: true,
            content: { "application/json": { schema: schemaRef("WebhookPayload") } },
          },
          responses: {
            "2XX": { description: "Received; any other answer (or none within 10 s) is retried." },
            "4XX": { description: "Not accepted: the delivery is retried." },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description:
            "An API key (`sk_…`). Each operation names the scope it needs: `read` (models, estimates, the key's own jobs) or `generate` (which implies `read`).",
        },
        adminToken: {
          type: "http",
          scheme: "bearer",
          description: "The admin token (`SDGATE_ADMIN_TOKEN`).",
        },
      },
      schemas: {
        GenerationRequest: jsonSchema(generationRequestSchema, "input"),
        GenerationResponse: jsonSchema(generationResponseSchema, "output"),
        UrlGenerationResponse: jsonSchema(urlGenerationResponseSchema, "output"),
        Health: jsonSchema(healthSchema, "output"),
        Job: jsonSchema(jobWithResultSchema, "output"),
        JobView: jsonSchema(jobViewSchema, "output"),
        WebhookSecret: jsonSchema(webhookSecretSchema, "output"),
        WebhookPayload: jsonSchema(webhookPayloadSchema, "output"),
        Error: jsonSchema(errorEnvelopeSchema, "output"),
        Estimate: jsonSchema(estimateSchema, "output"),
        ModelList: jsonSchema(modelListSchema, "output"),
        AuditPage: jsonSchema(auditPageSchema, "output"),
        ChainReport: jsonSchema(chainReportSchema, "output"),
        Fleet: jsonSchema(fleetSchema, "output"),
        CreateKey: jsonSchema(createKeyBodySchema, "input"),
        UpdateKey: jsonSchema(updateKeyBodySchema, "input"),
        RotateKey: jsonSchema(rotateKeyBodySchema, "input"),
        Key: jsonSchema(keyViewSchema, "output"),
        KeyWithSecret: jsonSchema(keyWithSecretSchema, "output"),
        KeyDetail: jsonSchema(keyDetailSchema, "output"),
        KeyList: jsonSchema(keyListSchema, "output"),
        RevokedKey: jsonSchema(revokedKeySchema, "output"),
        UsageReport: jsonSchema(usageReportSchema, "output"),
      },
    },
  };
}

/** The documented operations as `METHOD /path` (for the route-coverage test). */
export function documentedOperations(): string[] {
  return OPERATIONS.map((op) => `${op.method.toUpperCase()} ${op.path}`);
}
