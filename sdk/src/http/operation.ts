import {
  type AnswerOf,
  type BodyOf,
  type ExtraPathParamsOf,
  type NamedSchema,
  OPERATIONS,
  type OperationAccess,
  type OperationId,
  type OperationSpec,
  type QueryOf,
} from "@sdgate/shared";
import type { CallSpec, Credential, RequestOptions, Transport } from "./transport.ts";

const CREDENTIAL_OF = {
  public: "none",
  // The link's signature is the permission: no key travels with it.
  signed_link: "none",
  admin_token: "adminToken",
  api_key: "apiKey",
  any_credential: "either",
  // Browser navigations and the session cookie: a page's fetch sends the cookie itself.
  browser: "none",
  session: "none",
} as const satisfies Record<OperationAccess["kind"], Credential>;

/**
 * What a call adds to its operation: the path's `{id}` (and its other parameters, a team member's
 * `user_id`), a query and a body of the operation's types, headers, and whether this call may be
 * retried when the operation in general may not.
 *
 * @example
 * const parts: CallParts<"getKey"> = { id: "key_…" };
 * const member: CallParts<"removeTeamMember"> = { id: "team_…", params: { user_id: "usr_…" } };
 */
export interface CallParts<K extends OperationId> {
  id?: string;
  params?: ExtraPathParamsOf<K>;
  /** A URL the API handed out for this operation (a signed image link), called as it is. */
  link?: string;
  query?: QueryOf<K>;
  body?: BodyOf<K>;
  headers?: Readonly<Record<string, string>>;
  idempotent?: boolean;
}

/**
 * The call an operation of the contract makes: its method, path, credential, retry safety and media
 * type all come from `OPERATIONS`, which the edge's routes and OpenAPI document are made from too.
 *
 * @example
 * callOf("getJob", { id: "job_…" }); // { method: "GET", path: "/v1/jobs/job_…", credential: "apiKey", idempotent: true }
 */
export function callOf<K extends OperationId>(operation: K, parts: CallParts<K> = {}): CallSpec {
  const op: OperationSpec = OPERATIONS[operation];
  const params: Readonly<Record<string, string | undefined>> = { ...parts.params, id: parts.id };
  const path =
    parts.link ??
    op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined || value === "")
        throw new TypeError(`Sdgate: ${operation} needs ${name === "id" ? "an id" : `a ${name}`}.`);
      return encodeURIComponent(value);
    });
  return {
    method: op.method,
    path,
    credential: CREDENTIAL_OF[op.access.kind],
    idempotent: parts.idempotent ?? op.idempotent,
    ...(parts.query === undefined ? {} : { query: parts.query }),
    ...(parts.body === undefined ? {} : { body: parts.body }),
    ...(parts.headers === undefined ? {} : { headers: parts.headers }),
    ...(op.success.mediaType === undefined ? {} : { accept: op.success.mediaType }),
  };
}

/** The operations whose answer is one JSON schema. */
type JsonOperationId = {
  [K in OperationId]: (typeof OPERATIONS)[K]["success"] extends { schema: NamedSchema } ? K : never;
}[OperationId];

/**
 * Calls an operation and parses its answer with the contract's schema for it.
 *
 * @example
 * const key = await callOperation(transport, "getKey", { id: "key_…" }, {}); // KeyDetail
 */
export async function callOperation<K extends JsonOperationId>(
  transport: Transport,
  operation: K,
  parts: CallParts<K>,
  options: RequestOptions,
): Promise<AnswerOf<K>> {
  const { schema } = (OPERATIONS[operation] as OperationSpec).success.schema as NamedSchema;
  const answer = await transport.json(
    callOf(operation, parts),
    (json) => schema.parse(json) as AnswerOf<K>,
    options,
  );
  return answer.data;
}
