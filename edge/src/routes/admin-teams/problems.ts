import { SdgateError } from "@sdgate/shared";
import { MAX_TEAM_NAME_CHARS } from "../../identity/directory/index.ts";
import { notFound } from "../admin-people/ids.ts";

/** Each way a change to a team or its members can fail, as the error the caller gets. */
export function teamProblem(
  problem:
    | "not_found"
    | "team_not_found"
    | "user_not_found"
    | "member_not_found"
    | "invalid_name"
    | "name_taken"
    | "has_live_keys"
    | "already_member"
    | "admin_is_global",
  ids: { team_id: string; user_id?: string; name?: string },
): SdgateError {
  switch (problem) {
    case "not_found":
    case "team_not_found":
      return notFound("team", ids.team_id);
    case "user_not_found":
      return notFound("person", ids.user_id ?? "", "user_id");
    case "member_not_found":
      return new SdgateError(
        "not_found",
        `Person '${ids.user_id}' is not a member of team '${ids.team_id}'.`,
        { param: "user_id" },
      );
    case "invalid_name":
      return new SdgateError(
        "invalid_request",
        `Invalid 'name': must be 1 to ${MAX_TEAM_NAME_CHARS} characters without control characters.`,
        { param: "name" },
      );
    case "name_taken":
      return new SdgateError("conflict", `A team named '${ids.name}' exists already (names ignore case).`, {
        param: "name",
      });
    case "has_live_keys":
      return new SdgateError(
        "conflict",
        `Team '${ids.team_id}' still owns keys that work: revoke them first (sdgate keys revoke).`,
      );
    case "already_member":
      return new SdgateError(
        "conflict",
        `Person '${ids.user_id}' is a member of team '${ids.team_id}' already: change their role instead.`,
        { param: "user_id" },
      );
    case "admin_is_global":
      return new SdgateError("invalid_request", "Invalid 'role': admin is a global role, not a team's.", {
        param: "role",
      });
  }
}
