import {
  type DeprovisionedPerson,
  deprovisionPersonBodySchema,
  SdgateError,
  USER_ID_PATTERN,
} from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { type DeprovisionProblem, deprovisionUser, membershipsOf } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { revokeKey } from "../../keys/service.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { onOperation } from "../operation.ts";
import { noteChange } from "./audit-change.ts";
import { idParam, notFound } from "./ids.ts";
import { personView } from "./people-store.ts";

function refused(problem: DeprovisionProblem, id: string, successor: string | undefined): SdgateError {
  switch (problem) {
    case "user_not_found":
      return notFound("person", id);
    case "successor_unavailable":
      return new SdgateError(
        "invalid_request",
        `Invalid 'reassign_keys_to': ${successor} is unknown, disabled, or the person being deprovisioned.`,
        { param: "reassign_keys_to" },
      );
    case "successor_not_team_admin":
      return new SdgateError(
        "invalid_request",
        `Invalid 'reassign_keys_to': ${successor} may not hold every key this person made (a global admin, or a team admin of each key's team, may).`,
        { param: "reassign_keys_to" },
      );
  }
}

/**
 * `POST /admin/people/{id}/deprovision` `{ reassign_keys_to? }` → the person disabled, every session
 * of theirs ended at once (their next request is a 401), and the keys they made revoked, or handed to
 * `reassign_keys_to`. Safe to send again: a rerun revokes what a failed one left.
 */
export function registerDeprovisionPerson(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "deprovisionPerson",
    adminGuard("deprovisionPerson"),
    adminAudit("person.deprovision"),
    limitAdminBody,
    async (c) => {
      const id = idParam(c, USER_ID_PATTERN, "person");
      const body = await parseJsonBody(c, deprovisionPersonBodySchema);
      const successor = body.reassign_keys_to;
      const config = c.var.config;
      const done = await deprovisionUser(config.db, id, {
        revokeKey: (keyId) => revokeKey(config, keyId),
        ...(successor === undefined ? {} : { reassignKeysTo: successor }),
      });
      noteAudit(c, { detail: { user_id: id, reassign_keys_to: successor ?? null } });
      if (!done.ok) throw refused(done.error, id, successor);
      const { user, sessions_revoked, keys_revoked, keys_reassigned } = done.value;
      noteChange(c, user, { user_id: id });
      noteAudit(c, {
        detail: {
          sessions_revoked,
          keys_revoked: keys_revoked.join(","),
          keys_reassigned: keys_reassigned.map((k) => k.key_id).join(","),
        },
      });
      const answer: DeprovisionedPerson = {
        person: personView(user.after, await membershipsOf(config.db, id)),
        sessions_revoked,
        keys_revoked,
        keys_reassigned,
      };
      return c.json(answer);
    },
  );
}
