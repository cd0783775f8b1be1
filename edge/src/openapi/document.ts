import {
  NAMED_SCHEMAS,
  type NamedSchema,
  OPERATIONS,
  type OperationSpec,
  type QuerySpec,
} from "@sdgate/shared";
import { z } from "zod";

function jsonSchema(schema: z.ZodType, io: "input" | "output") {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** Who may call an operation: its `access`, which the route's guard reads too. */
function securityOf(op: OperationSpec): Array<Record<string, string[]>> {
  const { access } = op;
  switch (access.kind) {
    case "public":
    case "signed_link":
      return [];
    case "admin_token":
      return [{ adminToken: [] }];
    case "api_key":
      // A1111's routes also take the key as HTTP Basic's password, as A1111's `--api-auth` clients send it.
      return op.tags?.includes("a1111")
        ? [{ apiKey: [access.scope] }, { apiKeyBasic: [access.scope] }]
        : [{ apiKey: [access.scope] }];
    case "any_credential":
      // Any scheme will do (OpenAPI: alternatives are separate requirement objects).
      return [{ apiKey: [] }, { adminToken: [] }, { session: [] }];
    case "browser":
      return [];
    case "session":
      return [{ session: [] }];
  }
}

function queryParameters(query: QuerySpec | undefined) {
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

function schemaRef(schema: NamedSchema | readonly NamedSchema[]) {
  const ref = ({ name }: NamedSchema) => ({ $ref: `#/components/schemas/${name}` });
  // anyOf, not oneOf: the forms share their other fields, so only `data`'s items tell them apart.
  return "name" in schema ? ref(schema) : { anyOf: schema.map(ref) };
}

/** The path's parameters (`{id}`, a team member's `{user_id}`), in the order the path names them. */
function pathParameters(path: string) {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
}

/** Who else may call an operation besides the holders of its permission everywhere. */
function teamScopeNote(op: OperationSpec): string | undefined {
  if (op.teamScope === undefined || op.permission === null) return undefined;
  if (op.teamScope === "query")
    return `A person whose role in a team grants \`${op.permission}\` may call it too, and is answered about their teams only (or the query's \`team_id\`, one of them); \`${op.permission}\` everywhere answers about every key.`;
  const team = op.teamScope === "path" ? "the path's team (`{id}`)" : "the team the body names (`team_id`)";
  return `A person whose role in ${team} grants \`${op.permission}\` may call it too; otherwise it needs \`${op.permission}\` everywhere.`;
}

function operation(operationId: string, op: OperationSpec) {
  const security = securityOf(op);
  const query = queryParameters(op.query);
  const parameters = [...pathParameters(op.path), ...query];
  const description = teamScopeNote(op);
  const content = (schema?: NamedSchema | readonly NamedSchema[]) =>
    schema === undefined ? undefined : { "application/json": { schema: schemaRef(schema) } };
  const error = {
    description: "An error envelope naming the field at fault.",
    content: content(NAMED_SCHEMAS.Error),
  };
  return {
    operationId,
    summary: op.summary,
    ...(op.tags === undefined ? {} : { tags: op.tags }),
    ...(description === undefined ? {} : { description }),
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

/** A request body is documented as a caller writes it (defaults optional), an answer as it is sent. */
function ioOf(name: string): "input" | "output" {
  const bodies = new Set(
    Object.values(OPERATIONS as Record<string, OperationSpec>).flatMap((op) =>
      op.body ? [op.body.name] : [],
    ),
  );
  return bodies.has(name) ? "input" : "output";
}

/**
 * The OpenAPI 3.1 document of the edge's API, built from the same zod schemas the routes validate
 * with, so a request body documented here is the one that is accepted. Served at `GET /openapi.json`;
 * a test checks that it lists exactly the routes the app registers.
 */
export function openApiDocument(origin = "/"): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, op] of Object.entries(OPERATIONS) as Array<[string, OperationSpec]>) {
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, unknown>)[op.method.toLowerCase()] = operation(operationId, op);
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
            content: { "application/json": { schema: schemaRef(NAMED_SCHEMAS.WebhookPayload) } },
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
        apiKeyBasic: {
          type: "http",
          scheme: "basic",
          description:
            "An API key as HTTP Basic's password, any username (AUTOMATIC1111's `--api-auth`): only the `a1111` operations (`/sdapi/v1/*`, `/controlnet/*`) take it.",
        },
        adminToken: {
          type: "http",
          scheme: "bearer",
          description:
            "The admin token (`SDGATE_ADMIN_TOKEN`): break-glass, every use audited as such. People use their session instead.",
        },
        session: {
          type: "apiKey",
          in: "cookie",
          name: "__Host-sdgate_session",
          description:
            "A person's session (sign in at `/auth/oidc/login`, or through Cloudflare Access, whose `Cf-Access-Jwt-Assertion` works wherever the session does). Admin operations need the permission of the person's global role (or, where an operation says so, of their role in its team); a state-changing request must come from this origin.",
        },
      },
      schemas: Object.fromEntries(
        Object.values(NAMED_SCHEMAS).map(({ name, schema }) => [name, jsonSchema(schema, ioOf(name))]),
      ),
    },
  };
}
