import type { IScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Cluster } from "../config/load-config.ts";
import { queueDepthQuery } from "../monitoring/queries.ts";
import { BACKEND_NAME } from "./labels.ts";

export interface QueueAutoscalerArgs {
  namespace: pulumi.Input<string>;
  /** The namespace as a plain string, for the PromQL selector. */
  namespaceName: string;
  cluster: Pick<Cluster, "replicas" | "autoscaling">;
  prometheusUrl: string;
}

/** The metric the backend exports (backend/src/metrics/metrics.ts) and autoscaling follows. */
export const QUEUE_DEPTH_METRIC = "sdgate_queue_depth";

/**
 * The target as a plain decimal ("4", "1.5"): KEDA reads a trigger's threshold with Go's
 * strconv.ParseFloat, which refuses a milli-quantity such as "1500m", and a plain decimal is also a
 * valid Kubernetes quantity for the HPA. The schema allows at most three decimals, so no exponent.
 */
export function decimalTarget(value: number): string {
  return String(Number(value.toFixed(3)));
}

/**
 * Scale-down waits out a stabilisation window and drops one pod at a time: a GPU pod takes minutes
 * to pull its image and load a model, so flapping costs more than an idle GPU for a few minutes.
 */
function behavior(cluster: QueueAutoscalerArgs["cluster"]) {
  // Untyped on purpose: the same object is an HPA's `behavior` and a ScaledObject's advanced config.
  return {
    scaleUp: {
      stabilizationWindowSeconds: 0,
      policies: [{ type: "Pods" as const, value: 2, periodSeconds: 60 }],
    },
    scaleDown: {
      stabilizationWindowSeconds: cluster.autoscaling.scaleDownStabilizationSeconds,
      policies: [{ type: "Pods" as const, value: 1, periodSeconds: 120 }],
    },
  };
}

/**
 * Scales the backend Deployment on queue depth per pod: a KEDA ScaledObject with a Prometheus trigger,
 * or, where KEDA is not installed, an HPA on the `sdgate_queue_depth` pods metric (served by
 * prometheus-adapter). `mode: none` creates nothing and the Deployment keeps `replicas.min`.
 */
export class QueueAutoscaler extends pulumi.ComponentResource {
  readonly scaledObject?: k8s.apiextensions.CustomResource;
  readonly hpa?: k8s.autoscaling.v2.HorizontalPodAutoscaler;

  constructor(name: string, args: QueueAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sdgate:infra:QueueAutoscaler", name, {}, opts);
    const { cluster } = args;
    const target = decimalTarget(cluster.autoscaling.queueDepthPerPod);

    if (cluster.autoscaling.mode === "keda") {
      const spec: IScaledObject["spec"] = {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: BACKEND_NAME },
        minReplicaCount: cluster.replicas.min,
        maxReplicaCount: cluster.replicas.max,
        pollingInterval: 15,
        advanced: { horizontalPodAutoscalerConfig: { behavior: behavior(cluster) } },
        triggers: [
          {
            type: "prometheus",
            // KEDA divides the query's value by the replica count (metricType AverageValue).
            metricType: "AverageValue",
            metadata: {
              serverAddress: args.prometheusUrl,
              query: queueDepthQuery(args.namespaceName),
              threshold: target,
            },
          },
        ],
      };
      this.scaledObject = new k8s.apiextensions.CustomResource(
        name,
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: {
            name: BACKEND_NAME,
            namespace: args.namespace,
            // Where Pulumi waits for every resource's Ready condition (PULUMI_K8S_AWAIT_ALL), a
            // ScaledObject is Ready only once its metric answers; nothing here should wait for that.
            annotations: { "pulumi.com/skipAwait": "true" },
          },
          spec,
        },
        { parent: this },
      );
    } else if (cluster.autoscaling.mode === "hpa") {
      this.hpa = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        name,
        {
          metadata: { name: BACKEND_NAME, namespace: args.namespace },
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: BACKEND_NAME },
            minReplicas: cluster.replicas.min,
            maxReplicas: cluster.replicas.max,
            behavior: behavior(cluster),
            metrics: [
              {
                type: "Pods",
                pods: {
                  metric: { name: QUEUE_DEPTH_METRIC },
                  target: { type: "AverageValue", averageValue: target },
                },
              },
            ],
          },
        },
        { parent: this },
      );
    }
    this.registerOutputs({ mode: cluster.autoscaling.mode });
  }
}
