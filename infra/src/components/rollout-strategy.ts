import type * as k8s from "@pulumi/kubernetes";
import type { Cluster } from "../config/load-config.ts";

/**
 * How a rollout (a new image, a new HMAC keyring) replaces GPU pods, one at a time either way:
 * - `surge` starts the new pod before an old one stops, so capacity never drops, but it needs a
 *   spare GPU (a free one, or a node the autoscaler can add); without one the rollout stalls.
 * - `replace` stops an old pod first, so it needs no spare GPU, but the pool serves one pod short
 *   while the new one starts (a whole GPU start), and with one pod it serves none: the edge fails
 *   over to the other clusters meanwhile.
 */
export function rolloutStrategy(
  cluster: Pick<Cluster, "rollout">,
): k8s.types.input.apps.v1.DeploymentStrategy {
  const rollingUpdate =
    cluster.rollout === "surge" ? { maxSurge: 1, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: 1 };
  return { type: "RollingUpdate", rollingUpdate };
}
