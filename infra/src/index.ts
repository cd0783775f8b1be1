import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config/load-config.ts";
import { createProgram } from "./program.ts";

/**
 * The Pulumi program (root Pulumi.yaml points here): read and check the stack config, then one
 * GpuBackend per cluster. The exports are the stack's outputs; none of them holds a secret.
 */
const program = createProgram(loadStackConfig(new pulumi.Config("sdgate")));

export const edgeRegistry = program.edgeRegistry;
export const edgeRetention = program.edgeRetention;
export const clusters = program.clusters;
export const prerequisites = program.prerequisites;
