import { SdgateError } from "@sdgate/shared";
import type { RoleMappingProblem } from "../../identity/directory/index.ts";
import { notFound } from "../admin-people/ids.ts";

/** Each way a change to a role mapping can fail, as the error the caller gets. */
export function mappingProblem(
  problem: RoleMappingProblem | "not_found",
  ids: { id?: string; team_id?: string | null; idp_group?: string },
): SdgateError {
  switch (problem) {
    case "not_found":
      return notFound("role mapping", ids.id ?? "");
    case "team_not_found":
      return notFound("team", ids.team_id ?? "", "team_id");
    case "invalid_group":
      return new SdgateError(
        "invalid_request",
        "Invalid 'idp_group': must not be empty or start or end with spaces.",
        {
          param: "idp_group",
        },
      );
    case "admin_is_global":
      return new SdgateError(
        "invalid_request",
        "Invalid 'role': admin is a global role; a rule giving it names no team.",
        { param: "role" },
      );
    case "duplicate":
      return new SdgateError(
        "conflict",
        `The group '${ids.idp_group}' has a rule for that scope already: change its role instead.`,
        { param: "idp_group" },
      );
  }
}
