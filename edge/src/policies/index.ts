export { POLICY_CACHE_TTL_MS, policyForKey } from "./cache.ts";
export { enforcePromptPolicy } from "./enforce.ts";
export { CorruptPolicyRowError } from "./row.ts";
export {
  getTeamPolicy,
  type PolicyInput,
  removeTeamPolicy,
  type StoredPolicy,
  setTeamPolicy,
} from "./store.ts";
