/**
 * The Pulumi program (root Pulumi.yaml points here). The typed multi-cluster stack configuration
 * arrives with the infra issue; for now this module exports the building block.
 */
export { GpuBackend, type GpuBackendArgs } from "./components/gpu-backend.ts";
