import { z } from "zod";
import type { ApiKeyScope } from "./keys.ts";
import type { Permission } from "./permissions.ts";

// The shape of one API operation, apart from the table of them (`operations.ts`), so the tables of
// each area (`operations-*.ts`) can be written beside it without importing it.

/**
 * Who may call an operation: anyone (`public`), whoever holds a link the edge signed (`signed_link`:
 * the signature is the permission), the admin token (`admin_token`; no API key, whatever its scopes),
 * or an API key granting `scope` (`generate` implies `read`, see `API_KEY_SCOPES`).
 */
export type OperationAccess =
  | { readonly kind: "public" }
  | { readonly kind: "signed_link" }
  | { readonly kind: "admin_token" }
  | { readonly kind: "api_key"; readonly scope: ApiKeyScope }
  /** Any credential the edge knows (an API key of any scope, the admin token, a person): who-am-I. */
  | { readonly kind: "any_credential" }
  /** A browser's navigation in the sign-in flow: no credential yet, answered with redirects. */
  | { readonly kind: "browser" }
  /** A person's session cookie (signing out): not for API keys or the admin token. */
  | { readonly kind: "session" };

/** A schema and the name the OpenAPI document gives it (`#/components/schemas/<name>`). */
export interface NamedSchema<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly schema: S;
}

/** An operation's query parameters: names, types and limits from the schema, descriptions from here. */
export interface QuerySpec<S extends z.ZodObject = z.ZodObject> {
  readonly schema: S;
  readonly descriptions: Readonly<Record<string, string>>;
}

/**
 * One operation of the API: the edge registers its route from this (`method`, `path`) and guards it
 * with `access`; the OpenAPI document describes it from this; the SDK calls it from this and parses
 * its answer with `success.schema`. A route cannot exist outside this table (a test walks the app's
 * routes against it), so none is undocumented or untyped.
 */
export interface OperationSpec {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /**
   * OpenAPI path template (`/v1/jobs/{id}`). `{id}` is the parameter routes have; a team's member
   * (`/admin/teams/{id}/members/{user_id}`) adds `{user_id}`, a model's alias `{alias}`, and an adapter is `{kind}/{name}`.
   */
  readonly path: string;
  readonly summary: string;
  /** OpenAPI tags; `a1111`: AUTOMATIC1111's API, for A1111's clients (the SDK has no method for it). */
  readonly tags?: readonly string[];
  readonly access: OperationAccess;
  /**
   * The permission a caller must hold (deny by default); `null` only where no credential is needed
   * (public, or a signed link) or any credential will do (`getMe`).
   */
  readonly permission: Permission | null;
  /**
   * Where a person may hold `permission` in one team rather than everywhere (a `team_admin` managing
   * their own team): in the team of the path's `{id}`, of the body's `team_id`, or (`query`) in the
   * teams the answer is limited to (each of theirs, or the query's `team_id`). Absent: only a global
   * role (or the admin token) will do.
   */
  readonly teamScope?: "path" | "body" | "query";
  /**
   * Sending it twice does no more than sending it once, so a lost answer may be retried. A call can
   * know better (a seeded generation is replayed from the cache): see the SDK's `images.generate`.
   */
  readonly idempotent: boolean;
  readonly body?: NamedSchema;
  readonly query?: QuerySpec;
  readonly success: {
    readonly status: number;
    /** What the answer parses with; several: any of them (the forms of a generation). */
    readonly schema?: NamedSchema | readonly NamedSchema[];
    /** Not JSON: the media type the answer has (`image/*`, `text/event-stream`). */
    readonly mediaType?: string;
    readonly description: string;
  };
}

/** A named schema, typed by its name. */
export function named<const N extends string, S extends z.ZodType>(
  name: N,
  schema: S,
): NamedSchema<S> & { name: N } {
  return { name, schema };
}

/** Every parameter the schema takes must be described: a new one cannot go undocumented. */
export function queryOf<S extends z.ZodObject>(
  schema: S,
  descriptions: { readonly [K in keyof S["shape"]]-?: string },
): QuerySpec<S> {
  return { schema, descriptions };
}

/** The list envelope of the admin API: `{ object: "list", data }`. */
export const listOf = <S extends z.ZodType>(item: S) =>
  z.object({ object: z.literal("list"), data: z.array(item) });

export const PUBLIC = { kind: "public" } as const;
export const ADMIN = { kind: "admin_token" } as const;
