import type * as pulumi from "@pulumi/pulumi";
import type { Cluster } from "../config/load-config.ts";

/**
 * The slowest rate the model copy is planned for. rclone from a bucket in the cluster's region runs
 * far faster; across regions or from an https:// folder it can fall to this.
 */
export const MODEL_COPY_MIB_PER_SECOND = 50;
/** Even a small model's copy pays for rclone's listing and the volume's first mount. */
const MIN_MODEL_COPY_SECONDS = 300;
/**
 * Pulumi's own timeout runs this much past the Deployment's progress deadline, so the cluster's
 * ProgressDeadlineExceeded, which names the stuck ReplicaSet, is what the operator sees first.
 */
const PULUMI_SLACK_SECONDS = 300;

/** How long one new GPU pod may take from scheduling to ready, step by step. */
export interface StartupBudget {
  /** The cluster autoscaler (or Karpenter) brings up a GPU node and its driver: `nodeScaleUpSeconds`. */
  nodeScaleUpSeconds: number;
  /** The multi-GB CUDA image (and an image model volume): `imagePullSeconds`. */
  imagePullSeconds: number;
  /** The init container's copy into an empty model volume; none for an image volume. */
  modelCopySeconds: number;
  /** Loading and warming the models: the startup probe's `startupBudgetSeconds`. */
  warmUpSeconds: number;
  totalSeconds: number;
}

export type StartupBudgetInputs = Pick<
  Cluster,
  "nodeScaleUpSeconds" | "imagePullSeconds" | "startupBudgetSeconds" | "model" | "replicas"
>;

/** How long copying a model of `sizeGiB` into the volume is planned to take. */
export function modelCopySeconds(sizeGiB: number): number {
  return Math.max(MIN_MODEL_COPY_SECONDS, Math.ceil((sizeGiB * 1024) / MODEL_COPY_MIB_PER_SECOND));
}

/**
 * How long Pulumi waits for a version's copy Job: the two images' pulls, the copy, and the digest
 * check, which reads every file once more (planned at the copy's rate).
 */
export function versionCopySeconds(cluster: Pick<Cluster, "imagePullSeconds" | "model">): number {
  if (cluster.model.kind !== "pvc") return 0;
  return cluster.imagePullSeconds + 2 * modelCopySeconds(cluster.model.sizeGiB) + PULUMI_SLACK_SECONDS;
}

export function startupBudget(cluster: StartupBudgetInputs): StartupBudget {
  // With `sdgate:models` versions the copy Jobs run before the pods roll; no pod copies.
  const { model } = cluster;
  const steps = {
    nodeScaleUpSeconds: cluster.nodeScaleUpSeconds,
    imagePullSeconds: cluster.imagePullSeconds,
    modelCopySeconds:
      model.kind === "pvc" && model.source !== undefined ? modelCopySeconds(model.sizeGiB) : 0,
    warmUpSeconds: cluster.startupBudgetSeconds,
  };
  return { ...steps, totalSeconds: Object.values(steps).reduce((sum, seconds) => sum + seconds, 0) };
}

/**
 * The Deployment controller reports ProgressDeadlineExceeded (and Pulumi's await fails on it) when no
 * new pod became ready for this long, so it must cover one pod's whole start.
 */
export function progressDeadlineSeconds(cluster: StartupBudgetInputs): number {
  return startupBudget(cluster).totalSeconds;
}

/**
 * Pulumi waits 10 minutes for a Deployment by default, less than one GPU pod's start. A first
 * create starts its pods side by side; a rollout replaces them one at a time (maxSurge or
 * maxUnavailable 1), up to `replicas.max` of them. A stalled rollout still fails early, on the
 * progress deadline above: these only keep a healthy one from being cut short.
 */
export function deploymentTimeouts(cluster: StartupBudgetInputs): pulumi.CustomTimeouts {
  const podSeconds = startupBudget(cluster).totalSeconds;
  return {
    create: minutes(podSeconds + PULUMI_SLACK_SECONDS),
    update: minutes(podSeconds * cluster.replicas.max + PULUMI_SLACK_SECONDS),
  };
}

/** A Go duration, as Pulumi parses custom timeouts. */
export function minutes(seconds: number): string {
  return `${Math.ceil(seconds / 60)}m`;
}
