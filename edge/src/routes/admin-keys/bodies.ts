import { keyBodySchemas, SdgateError } from "@sdgate/shared";
import { canonicalRange } from "../../keys/allowed-ips.ts";

// The bodies are the contract's; the edge reads `allowed_ips` with its IP library, which refuses what
// is not a range and writes each one canonically.
export const { create: createKeySchema, update: updateKeySchema } = keyBodySchemas(canonicalRange);

/** Refuses a `models` list naming a model this server does not serve: a typo would lock the key out. */
export function checkModels(
  list: readonly string[] | null | undefined,
  served: readonly { id: string }[],
): void {
  const unknown = list?.find((id) => !served.some((model) => model.id === id));
  if (unknown === undefined) return;
  throw new SdgateError(
    "invalid_request",
    `Invalid 'models': this server serves no model '${unknown.slice(0, 128)}' (it serves ${served.map((model) => model.id).join(", ")}).`,
    { param: "models" },
  );
}
