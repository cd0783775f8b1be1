// Infra writes the registry and the edge reads it, so its schema is the contract's (@sdgate/shared);
// the edge's modules keep importing it from here.
export {
  type Backend,
  byPriority,
  DEFAULT_ENGINE_VERSION,
  type Registry,
  registrySchema,
} from "@sdgate/shared";
