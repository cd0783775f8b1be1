import { SdgateError } from "@sdgate/shared";
import type { AdapterProblem } from "../../adapters/index.ts";

/**
 * The error a caller gets for each thing the adapter registry refuses: an unknown adapter is 404, a
 * taken name or a status that does not allow the change 409, approving what one registered 403.
 */
export function adapterProblem(problem: AdapterProblem): SdgateError {
  switch (problem.code) {
    case "invalid":
      return new SdgateError("invalid_request", problem.message, { param: problem.param });
    case "not_found":
      return new SdgateError("not_found", problem.message);
    case "name_taken":
      return new SdgateError("conflict", problem.message, { param: "name" });
    case "self_approval":
      return new SdgateError("insufficient_scope", problem.message);
    case "wrong_status":
      return new SdgateError("conflict", problem.message);
  }
}
