import { SdgateError } from "@sdgate/shared";
import type { RegistryProblem } from "../../model-registry/index.ts";

/**
 * The error a caller gets for each thing the registry refuses: an unknown model, version or request
 * is 404; a taken id, files held already, a decided request or a moved alias 409 (the message names
 * the current revision); approving one's own request 403.
 */
export function registryProblem(problem: RegistryProblem): SdgateError {
  switch (problem.code) {
    case "invalid":
      return new SdgateError("invalid_request", problem.message, { param: problem.param ?? null });
    case "not_found":
      return new SdgateError("not_found", problem.message);
    case "model_exists":
      return new SdgateError("conflict", problem.message, { param: "id" });
    case "duplicate_digest":
      return new SdgateError("conflict", problem.message, { param: "digest" });
    case "licence_not_accepted":
      return new SdgateError("invalid_request", problem.message, { param: "licence.accepted" });
    case "alias_exists":
      return new SdgateError("conflict", problem.message, { param: "alias" });
    case "self_approval":
      return new SdgateError("insufficient_scope", problem.message);
    case "not_pending":
      return new SdgateError("conflict", problem.message);
    case "conflict":
      return new SdgateError("conflict", problem.message, { param: "expected_revision" });
  }
}
