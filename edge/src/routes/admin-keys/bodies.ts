import { keyBodySchemas } from "@sdgate/shared";
import { canonicalRange } from "../../keys/allowed-ips.ts";

// The bodies are the contract's; the edge reads `allowed_ips` with its IP library, which refuses what
// is not a range and writes each one canonically.
export const { create: createKeySchema, update: updateKeySchema } = keyBodySchemas(canonicalRange);
