import type { Principal } from "@sdgate/shared";
import { canonicalJson, KEY_ID_PATTERN } from "@sdgate/shared";
import type { Context, MiddlewareHandler } from "hono";
import { AUDIT_LOG_NAME } from "../../audit/audit-log.ts";
import type { AuditEntry } from "../../audit/chain.ts";
import type { AppEnv } from "../../hono-env.ts";
import { actorOf, BREAK_GLASS } from "../../identity/principal.ts";
import { log } from "../../log.ts";

/** What a handler adds to its action's audit row as it learns it (see {@link noteAudit}). */
export type AuditNote = AppEnv["Variables"]["auditNote"];

export interface AdminAuditOptions {
  /**
   * Where the request names the key the action is about: the path's `:id` or the query's `key_id`.
   * Something there that is no key id is recorded as no key.
   */
  key?: "path" | "query";
  /**
   * Record the row only once the request names who acted (a sign-in that succeeded); a failed one is
   * logged, not audited, since no one is known to have acted. Otherwise a row without a principal
   * is the admin token's.
   */
  requirePrincipal?: boolean;
}

function namedKey(c: Context<AppEnv>, where: AdminAuditOptions["key"]): string | null {
  const named = where === "path" ? c.req.param("id") : where === "query" ? c.req.query("key_id") : undefined;
  return named !== undefined && KEY_ID_PATTERN.test(named) ? named : null;
}

/**
 * Adds to the audit row of the request's admin action: the key it made, or details (a count, the
 * fields changed). Notes merge; a detail noted before the handler fails is recorded with the failure.
 *
 * @example
 * noteAudit(c, { keyId: key.id, detail: { name: key.name } });
 */
export function noteAudit(c: Context<AppEnv>, note: AuditNote): void {
  const noted = c.get("auditNote") as AuditNote | undefined;
  c.set("auditNote", {
    ...noted,
    ...note,
    ...(noted?.detail || note.detail ? { detail: { ...noted?.detail, ...note.detail } } : {}),
  });
}

/**
 * The filters a listing was asked for, for its audit row's detail: what someone looked for is part of
 * what they did.
 *
 * @example
 * noteAudit(c, { detail: { count, ...filtersNote(query, ["status", "q"]) } });
 */
export function filtersNote<Q extends object>(
  query: Q,
  names: readonly (keyof Q & string)[],
): Record<string, string> {
  const note: Record<string, string> = {};
  for (const name of names) {
    const value = query[name];
    if (typeof value === "string") note[name] = value;
  }
  return note;
}

/**
 * Appends `entry` and waits until it is committed, so the response implies the record. The
 * `AuditLog` keeps the entry in its own storage first: when D1 fails it is written by a later try,
 * never lost. Only an `AuditLog` that cannot be reached at all is logged, not thrown: the action
 * itself has already happened.
 */
async function append(c: Context<AppEnv>, entry: AuditEntry): Promise<void> {
  try {
    await c.get("config").auditLog.getByName(AUDIT_LOG_NAME).append(entry);
  } catch (error) {
    log.error("audit append failed", { request_id: c.get("requestId"), error: (error as Error).message });
  }
}

/**
 * Records an admin route's action in the audit chain once its handler is done, with the response's
 * status, so a success and each way of failing are audited alike and no branch has to remember it.
 * Put it after the admin token's check: a request without the token is no admin action. The handler
 * adds what only it knows with {@link noteAudit}.
 *
 * (Generations are audited by the key's `KeyState`, in the same step that settles their credits: see
 * `audit/outbox.ts`.)
 *
 * @example
 * app.delete("/admin/keys/:id", admin, adminAudit("key.revoke", { key: "path" }), handler);
 */
export function adminAudit(action: string, options: AdminAuditOptions = {}): MiddlewareHandler<AppEnv> {
  if (!/^[a-z]+\.[a-z]+$/.test(action)) throw new TypeError(`adminAudit: '${action}' is not an action name.`);
  return async function adminAudit(c, next) {
    await next();
    const note = c.get("auditNote") as AuditNote | undefined;
    // The guard put the caller here; a route without one is reached only with the admin token.
    const known = c.get("principal") as Principal | undefined;
    if (known === undefined && options.requirePrincipal === true) return;
    const principal = known ?? BREAK_GLASS;
    const email = principal.email === null ? {} : { actor_email: principal.email };
    await append(c, {
      at: new Date().toISOString(),
      actor: actorOf(principal),
      action,
      key_id: note?.keyId ?? namedKey(c, options.key),
      request_hash: null,
      backend: null,
      status: c.res.status,
      latency_ms: null,
      cost: null,
      detail: canonicalJson({ request_id: c.get("requestId"), ...email, ...note?.detail }),
    });
  };
}
