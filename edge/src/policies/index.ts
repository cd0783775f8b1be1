export { POLICY_CACHE_TTL_MS, policyForKey, type TeamRules, teamRulesForKey } from "./cache.ts";
export { enforceGovernance, type ServedRef } from "./enforce.ts";
export { CorruptPolicyRowError } from "./row.ts";
export {
  getTeamPolicy,
  type PolicyInput,
  removeTeamPolicy,
  type StoredPolicy,
  setTeamPolicy,
} from "./store.ts";
