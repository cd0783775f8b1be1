import { canonicalJson } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { noteAudit } from "../../middleware/admin-audit/index.ts";

/**
 * Records what a change to the directory did in the request's audit row: `before` and `after` as
 * compact canonical JSON (`null` where the thing did not exist), with the ids it was about.
 *
 * @example
 * noteChange(c, renamed.value, { team_id: id }); // detail: { team_id, before: '{"id":…}', after: '{"id":…}' }
 */
export function noteChange(
  c: Context<AppEnv>,
  change: { before: unknown; after: unknown },
  ids: Readonly<Record<string, string | null>> = {},
): void {
  const json = (value: unknown) => (value === null || value === undefined ? null : canonicalJson(value));
  noteAudit(c, { detail: { ...ids, before: json(change.before), after: json(change.after) } });
}
