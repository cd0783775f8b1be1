export {
  ADAPTERS_TTL_MS,
  appliesTo,
  catalogFor,
  forgetServingAdapters,
  type ServingAdapter,
  servingAdapters,
  wrongModelAdapter,
} from "./catalog.ts";
export { listAdapters } from "./list.ts";
export { type AdapterProblem, adapterLabel, CorruptAdapterRowError } from "./records.ts";
export {
  ADAPTER_DECISIONS,
  type AdapterDecision,
  decideAdapter,
  getAdapterRecord,
  listAdapterRecords,
  registerAdapter,
} from "./store.ts";
