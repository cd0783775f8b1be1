import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryDocument } from "@sdgate/shared";
import { AccessApplication, type ServiceTokenCredentials } from "./components/access-application.ts";
import { GpuBackend } from "./components/gpu-backend.ts";
import type { AccessOutput } from "./config/access-schema.ts";
import type { StackConfig } from "./config/load-config.ts";
import { type Prerequisite, stackPrerequisites } from "./prerequisites.ts";
import { buildRegistry } from "./registry/build-registry.ts";
import { type EdgeRetention, edgeRetention } from "./registry/edge-retention.ts";

export interface ClusterSummary {
  provider: string;
  region: string;
  namespace: string;
  tunnelHostname: string;
  autoscaling: string;
  gpuProduct: string;
  replicas: { min: number; max: number };
  /** The model the backends serve; with `sdgate:models`, its version and digest (the folder's name). */
  model: { id: string; version?: string; digest?: string };
}

export interface ProgramOutputs {
  /** SDGATE_BACKENDS for the edge (`npm run registry` writes it to .sdgate/registry.json). */
  edgeRegistry: pulumi.Output<RegistryDocument>;
  /** The edge's retention vars and its R2 bucket's lifecycle (`npm run registry` writes them too). */
  edgeRetention: pulumi.Output<EdgeRetention>;
  clusters: pulumi.Output<Record<string, ClusterSummary>>;
  /** Per cluster, what must exist before `pulumi up` (prerequisites.ts); names only. */
  prerequisites: pulumi.Output<Record<string, Prerequisite[]>>;
  /** SDGATE_ACCESS_TEAM_DOMAIN and SDGATE_ACCESS_AUD for the edge, where `sdgate:access` is set. */
  access: pulumi.Output<AccessOutput> | undefined;
  /** The Access service tokens' credentials by name, marked secret. */
  accessServiceTokens: pulumi.Output<Record<string, ServiceTokenCredentials>> | undefined;
  accessApplication: AccessApplication | undefined;
  backends: GpuBackend[];
  providers: k8s.Provider[];
}

function servedModel(model: StackConfig["clusters"][number]["model"]): ClusterSummary["model"] {
  if (model.kind !== "pvc" || model.served === undefined) return { id: model.id };
  return { id: model.id, version: model.served.version, digest: model.served.digest };
}

/**
 * Every cluster gets its own explicit Kubernetes provider, so nothing ever lands on whatever cluster
 * the ambient kubeconfig points at, and one `GpuBackend` on it; with `sdgate:access`, one Access
 * application in front of the edge's browser paths. The outputs hold no secret except
 * `accessServiceTokens`, which is marked secret.
 */
export function createProgram(config: StackConfig): ProgramOutputs {
  const providers: k8s.Provider[] = [];
  const backends = config.clusters.map((cluster) => {
    const provider = new k8s.Provider(cluster.name, {
      kubeconfig: cluster.kubeconfig,
      ...(cluster.context === undefined ? {} : { context: cluster.context }),
    });
    providers.push(provider);
    return new GpuBackend(
      cluster.name,
      {
        cluster,
        hmacKeys: config.hmacKeys,
        hmacKeyIds: config.hmacKeyIds,
        monitoring: config.monitoring,
        alerts: config.alerts,
      },
      { provider },
    );
  });
  const summaries = Object.fromEntries(
    config.clusters.map((cluster): [string, ClusterSummary] => [
      cluster.name,
      {
        provider: cluster.provider,
        region: cluster.region,
        namespace: cluster.namespace,
        tunnelHostname: cluster.tunnel.hostname,
        autoscaling: cluster.autoscaling.mode,
        gpuProduct: cluster.gpu.product,
        replicas: { min: cluster.replicas.min, max: cluster.replicas.max },
        model: servedModel(cluster.model),
      },
    ]),
  );
  const accessApplication =
    config.access === undefined ? undefined : new AccessApplication("edge-access", { access: config.access });
  return {
    edgeRegistry: pulumi.output(
      buildRegistry(
        config.registry,
        backends.map((b) => b.pool),
      ),
    ),
    edgeRetention: pulumi.output(edgeRetention(config.retention)),
    clusters: pulumi.output(summaries),
    prerequisites: pulumi.output(stackPrerequisites(config)),
    access: accessApplication?.access,
    accessServiceTokens: accessApplication?.serviceTokens,
    accessApplication,
    backends,
    providers,
  };
}
