import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config/load-config.ts";
import { createProgram } from "./program.ts";
import { edgeModelCatalog } from "./registry/edge-models.ts";

/**
 * The Pulumi program (root Pulumi.yaml points here): read and check the stack config, then one
 * GpuBackend per cluster. The exports are the stack's outputs; none of them holds a secret.
 */
const config = loadStackConfig(new pulumi.Config("sdgate"));
const program = createProgram(config);

export const edgeRegistry = program.edgeRegistry;
export const edgeRetention = program.edgeRetention;
/** SDGATE_MODELS for the edge (`npm run registry` writes it to .sdgate/edge-models.json). */
export const edgeModels = edgeModelCatalog(config.clusters, config.registry);
export const clusters = program.clusters;
export const prerequisites = program.prerequisites;
