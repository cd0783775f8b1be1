import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Backend } from "@sdgate/shared";
import type { Cluster, StackConfig } from "../config/load-config.ts";
import type { MonitoringConfig } from "../config/schema.ts";
import { BackendMonitoring } from "./backend-monitoring.ts";
import { BackendNetworkPolicy } from "./backend-network-policy.ts";
import {
  backendPodTemplate,
  HMAC_SECRET_KEY,
  HMAC_SECRET_NAME,
  restrictedSecurityContext,
} from "./backend-pod.ts";
import {
  BACKEND_NAME,
  BACKEND_PORT,
  BACKEND_UID,
  backendLabels,
  backendServiceUrl,
  tunnelLabels,
} from "./labels.ts";
import { ModelVersionCopy } from "./model-version-copy.ts";
import { ModelVolume } from "./model-volume.ts";
import { PodAccess } from "./pod-access.ts";
import { QueueAutoscaler } from "./queue-autoscaler.ts";
import { rolloutStrategy } from "./rollout-strategy.ts";
import { deploymentTimeouts, progressDeadlineSeconds, versionCopySeconds } from "./startup-budget.ts";
import { TunnelConnector } from "./tunnel-connector.ts";

export interface GpuBackendArgs {
  /** The cluster's validated config (load-config.ts); its secrets are already Outputs. */
  cluster: Cluster;
  /** SDGATE_HMAC_KEYS, the same keyring the edge signs with. */
  hmacKeys: pulumi.Input<string>;
  /** The ids of those keys, in order; a rotation changes them and so rolls the pods. */
  hmacKeyIds: readonly string[];
  monitoring: MonitoringConfig;
  alerts: StackConfig["alerts"];
}

/**
 * One cluster's GPU backends, reachable only through a Cloudflare Tunnel: a namespace, the HMAC
 * keys, the model volume, the Deployment on GPU nodes and its Service, the tunnel connector, network
 * policy, disruption budget, queue-depth autoscaling, metrics, alerts and a dashboard. Pass the
 * cluster's `k8s.Provider` as `provider`; every child inherits it.
 *
 * @example
 * const provider = new k8s.Provider("aws-use1", { kubeconfig: cluster.kubeconfig });
 * new GpuBackend("aws-use1", { cluster, hmacKeys, hmacKeyIds, monitoring, alerts }, { provider });
 */
export class GpuBackend extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly hmacSecret: k8s.core.v1.Secret;
  readonly model: ModelVolume;
  /** One copy Job per `sdgate:models` version of a pvc model. */
  readonly modelVersions: ModelVersionCopy[];
  readonly access: PodAccess;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;
  readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget;
  readonly tunnel: TunnelConnector;
  readonly networkPolicy: BackendNetworkPolicy;
  readonly autoscaler: QueueAutoscaler;
  readonly monitoring: BackendMonitoring;
  /** This cluster's pool in the edge's registry; no secrets. */
  readonly pool: Backend;

  constructor(name: string, args: GpuBackendArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sdgate:infra:GpuBackend", name, {}, opts);
    const { cluster } = args;
    const labels = backendLabels(cluster.name);
    const child = { parent: this };

    this.namespace = new k8s.core.v1.Namespace(
      name,
      {
        metadata: {
          name: cluster.namespace,
          labels: { ...podSecurityLabels(cluster), "app.kubernetes.io/part-of": "sdgate" },
        },
      },
      child,
    );
    const namespace = this.namespace.metadata.name;

    this.hmacSecret = new k8s.core.v1.Secret(
      `${name}-hmac`,
      {
        metadata: { name: HMAC_SECRET_NAME, namespace, labels },
        type: "Opaque",
        stringData: { [HMAC_SECRET_KEY]: args.hmacKeys },
      },
      child,
    );

    this.model = new ModelVolume(
      `${name}-model`,
      {
        namespace,
        model: cluster.model,
        labels,
        securityContext: restrictedSecurityContext(BACKEND_UID),
        ownerUid: BACKEND_UID,
      },
      child,
    );

    this.access = new PodAccess(`${name}-access`, { namespace, cluster, labels }, child);

    const model = cluster.model;
    this.modelVersions =
      model.kind !== "pvc"
        ? []
        : model.versions.map(
            (version) =>
              new ModelVersionCopy(
                `${name}-model-${version.version}`,
                {
                  namespace,
                  cluster: cluster.name,
                  modelId: model.id,
                  version,
                  backendImage: cluster.image,
                  fetcherImage: model.fetcherImage,
                  credentialsSecretName: this.model.credentialsSecretName,
                  serviceAccountName: this.access.serviceAccountName,
                  imagePullSecrets: this.access.imagePullSecrets,
                  securityContext: restrictedSecurityContext(BACKEND_UID),
                  uid: BACKEND_UID,
                  volumePermissions: model.volumePermissions,
                  supplementalGroups: model.supplementalGroups,
                  tolerations: cluster.tunnel.tolerations,
                  timeoutSeconds: versionCopySeconds(cluster),
                },
                // The claim, the fetcher's Secret, the ServiceAccount and pull Secret come first.
                { parent: this, dependsOn: [this.model, this.access] },
              ),
          );

    const autoscaled = cluster.autoscaling.mode !== "none";
    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name: BACKEND_NAME, namespace, labels },
        spec: {
          // With an autoscaler the replica count is its to set; declaring one here would fight it on every update.
          ...(autoscaled ? {} : { replicas: cluster.replicas.min }),
          selector: { matchLabels: labels },
          strategy: rolloutStrategy(cluster),
          progressDeadlineSeconds: progressDeadlineSeconds(cluster),
          template: backendPodTemplate({
            cluster,
            hmacKeyIds: args.hmacKeyIds,
            labels,
            modelVolume: this.model.volume,
            modelMount: this.model.mount,
            modelPath: this.model.modelPath,
            initContainers: this.model.initContainers,
            imagePullSecrets: this.access.imagePullSecrets,
            serviceAccountName: this.access.serviceAccountName,
          }),
        },
      },
      // The pods read the key Secret at start; the model claim must exist to be mounted, the pull
      // Secret and the ServiceAccount before a pod is admitted; a served version must be copied and
      // verified before a pod may load it.
      {
        parent: this,
        dependsOn: [this.hmacSecret, this.model, this.access, ...this.modelVersions],
        customTimeouts: deploymentTimeouts(cluster),
      },
    );

    this.service = new k8s.core.v1.Service(
      name,
      {
        metadata: { name: BACKEND_NAME, namespace, labels },
        spec: {
          type: "ClusterIP",
          selector: labels,
          ports: [{ name: "http", port: BACKEND_PORT, targetPort: "http", protocol: "TCP" }],
        },
      },
      child,
    );

    // Voluntary evictions (node upgrades, autoscaler consolidation) take one GPU pod at a time.
    this.disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
      name,
      {
        metadata: { name: BACKEND_NAME, namespace, labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
      },
      child,
    );

    this.tunnel = new TunnelConnector(
      `${name}-tunnel`,
      {
        namespace,
        labels: tunnelLabels(cluster.name),
        tunnelId: cluster.tunnel.id,
        credentials: cluster.tunnel.credentials,
        hostname: cluster.tunnel.hostname,
        originUrl: backendServiceUrl(cluster.namespace),
        replicas: cluster.tunnel.replicas,
        image: cluster.tunnel.image,
        tolerations: cluster.tunnel.tolerations,
      },
      child,
    );

    this.networkPolicy = new BackendNetworkPolicy(
      `${name}-network`,
      {
        namespace,
        monitoringNamespace: args.monitoring.namespace,
        backendLabels: labels,
        tunnelLabels: tunnelLabels(cluster.name),
        prometheusPodLabels: args.monitoring.prometheusPodLabels,
      },
      child,
    );

    this.autoscaler = new QueueAutoscaler(
      `${name}-autoscaler`,
      { namespace, namespaceName: cluster.namespace, cluster, prometheusUrl: args.monitoring.prometheusUrl },
      // Not after the Deployment: Pulumi waits for its pods to be ready, which can take most of an
      // hour, and the autoscaler finds its target by name whenever it appears.
      child,
    );

    this.monitoring = new BackendMonitoring(
      `${name}-monitoring`,
      {
        cluster: cluster.name,
        namespace,
        namespaceName: cluster.namespace,
        backendLabels: labels,
        queueSize: cluster.serving.queueSize,
        monitoring: args.monitoring,
        alerts: args.alerts,
      },
      child,
    );

    this.pool = {
      name: cluster.name,
      url: `https://${cluster.tunnel.hostname}`,
      provider: cluster.provider,
      region: cluster.region,
      priority: cluster.edge.priority,
      ...(cluster.edge.weight === undefined ? {} : { weight: cluster.edge.weight }),
      ...(cluster.edge.near === undefined ? {} : { near: cluster.edge.near }),
    };
    this.registerOutputs({ namespace, service: this.service.metadata.name, pool: this.pool });
  }
}

/**
 * The backends and cloudflared meet the "restricted" Pod Security Standard, so it is enforced; image
 * volumes are newer than that profile's list of volume types in some clusters' admission, and the
 * root chown step of `volumePermissions: chown` is outside it, so with either "restricted" only
 * warns and "baseline" (which allows CAP_CHOWN) is enforced.
 */
export function podSecurityLabels(cluster: Pick<Cluster, "model">): Record<string, string> {
  if (cluster.model.kind === "image" || cluster.model.volumePermissions === "chown") {
    return {
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/warn": "restricted",
    };
  }
  return { "pod-security.kubernetes.io/enforce": "restricted" };
}
