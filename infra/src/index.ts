import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config/load-config.ts";
import { createProgram } from "./program.ts";
import { edgeModelCatalog } from "./registry/edge-models.ts";

/**
 * The Pulumi program (root Pulumi.yaml points here): read and check the stack config, then one
 * GpuBackend per cluster (and, with `sdgate:access`, the Access application). The exports are the
 * stack's outputs; only `accessServiceTokens` holds secrets, and it is marked secret.
 */
const config = loadStackConfig(new pulumi.Config("sdgate"));
const program = createProgram(config);

export const edgeRegistry = program.edgeRegistry;
export const edgeRetention = program.edgeRetention;
/** SDGATE_MODELS for the edge (`npm run registry` writes it to .sdgate/edge-models.json). */
export const edgeModels = edgeModelCatalog(config.clusters, config.registry);
export const clusters = program.clusters;
export const prerequisites = program.prerequisites;
/** SDGATE_ACCESS_TEAM_DOMAIN and SDGATE_ACCESS_AUD (`npm run deploy:edge --access`); unset without `sdgate:access`. */
export const access = program.access;
/** `pulumi stack output --show-secrets accessServiceTokens`: each service token's client id and secret. */
export const accessServiceTokens = program.accessServiceTokens;
