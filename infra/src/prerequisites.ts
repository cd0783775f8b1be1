import type { Cluster, StackConfig } from "./config/load-config.ts";

/**
 * An object the program refers to but does not create: it must be in the cluster before
 * `pulumi up`, or a pod waits (CreateContainerConfigError, ImagePullBackOff, Pending) or an object
 * is refused. docs/deploy.md lists these; the rehearsal test checks that nothing else is missing.
 */
export interface Prerequisite {
  kind:
    | "Namespace"
    | "Secret"
    | "ServiceAccount"
    | "StorageClass"
    | "RuntimeClass"
    | "CustomResourceDefinition"
    | "APIService";
  name: string;
  /** Set for namespaced kinds. */
  namespace?: string;
  /** The stack config key that names it, or what the program creates that needs it. */
  neededBy: string;
  /** What provides it. */
  providedBy: string;
}

function crd(name: string, neededBy: string, providedBy: string): Prerequisite {
  return { kind: "CustomResourceDefinition", name, neededBy, providedBy };
}
const PROMETHEUS_OPERATOR = "kube-prometheus-stack (prometheus-operator)";
const SERVICE_MONITORS = crd(
  "servicemonitors.monitoring.coreos.com",
  "the backend's ServiceMonitor",
  PROMETHEUS_OPERATOR,
);
const PROMETHEUS_RULES = crd(
  "prometheusrules.monitoring.coreos.com",
  "the backend's alert rules",
  PROMETHEUS_OPERATOR,
);
const ALERTMANAGER_CONFIGS = crd(
  "alertmanagerconfigs.monitoring.coreos.com",
  "sdgate:alerts.receivers",
  PROMETHEUS_OPERATOR,
);
const SCALED_OBJECTS = crd("scaledobjects.keda.sh", "autoscaling.mode: keda", "KEDA");
const CUSTOM_METRICS: Prerequisite = {
  kind: "APIService",
  name: "v1beta1.custom.metrics.k8s.io",
  neededBy: "autoscaling.mode: hpa (the sdgate_queue_depth pods metric)",
  providedBy: "prometheus-adapter, with a rule serving sdgate_queue_depth",
};

/**
 * The add-ons' CRDs and API a cluster may need, whatever its config: docs/deploy.md names each
 * (a test checks), and `clusterPrerequisites` picks those a cluster's config uses.
 */
export const ADD_ON_PREREQUISITES: readonly Prerequisite[] = [
  SERVICE_MONITORS,
  PROMETHEUS_RULES,
  ALERTMANAGER_CONFIGS,
  SCALED_OBJECTS,
  CUSTOM_METRICS,
];

/**
 * What one cluster needs before `pulumi up`, given its config: the add-ons' CRDs and API, and each
 * object the config names rather than asks the program to make.
 *
 * @example
 * for (const p of clusterPrerequisites(cluster, config)) console.log(p.kind, p.namespace ?? "", p.name);
 */
export function clusterPrerequisites(
  cluster: Cluster,
  config: Pick<StackConfig, "clusters" | "monitoring" | "alerts">,
): Prerequisite[] {
  const index = config.clusters.findIndex((c) => c.name === cluster.name);
  const key = (path: string) => `sdgate:clusters[${index}].${path}`;
  const inBackendNamespace = { namespace: cluster.namespace };
  const needs: Prerequisite[] = [SERVICE_MONITORS, PROMETHEUS_RULES];
  if (config.alerts.receivers.length > 0) needs.push(ALERTMANAGER_CONFIGS);
  needs.push({
    kind: "Namespace",
    name: config.monitoring.namespace,
    neededBy: "sdgate:monitoring.namespace (the Grafana dashboard's ConfigMap)",
    providedBy: "kube-prometheus-stack's release namespace",
  });
  if (cluster.autoscaling.mode === "keda")
    needs.push({ ...SCALED_OBJECTS, neededBy: key("autoscaling.mode: keda") });
  if (cluster.autoscaling.mode === "hpa")
    needs.push({ ...CUSTOM_METRICS, neededBy: key(CUSTOM_METRICS.neededBy) });
  if (cluster.model.kind === "pvc" && cluster.model.storageClassName !== undefined) {
    needs.push({
      kind: "StorageClass",
      name: cluster.model.storageClassName,
      neededBy: key("model.storageClassName"),
      providedBy: "the cluster's CSI driver (ReadWriteMany: EFS, Filestore, Azure Files, CephFS, NFS)",
    });
  }
  if (cluster.model.kind === "pvc" && cluster.model.credentialsSecretName !== undefined) {
    needs.push({
      kind: "Secret",
      name: cluster.model.credentialsSecretName,
      ...inBackendNamespace,
      neededBy: key("model.credentialsSecretName"),
      providedBy: "you: kubectl create secret generic, keys as the fetcher's env (AWS_ACCESS_KEY_ID…)",
    });
  }
  for (const name of cluster.imagePullSecrets) {
    needs.push({
      kind: "Secret",
      name,
      ...inBackendNamespace,
      neededBy: key("imagePullSecrets"),
      providedBy: "you: kubectl create secret docker-registry",
    });
  }
  if (cluster.serviceAccount !== undefined && !cluster.serviceAccount.create && cluster.serviceAccount.name) {
    needs.push({
      kind: "ServiceAccount",
      name: cluster.serviceAccount.name,
      ...inBackendNamespace,
      neededBy: key("serviceAccount.name"),
      providedBy: "you (with your cloud identity's annotation), or set serviceAccount.create",
    });
  }
  if (cluster.runtimeClassName !== undefined) {
    needs.push({
      kind: "RuntimeClass",
      name: cluster.runtimeClassName,
      neededBy: key("runtimeClassName"),
      providedBy: "the NVIDIA GPU Operator or container toolkit (RuntimeClass nvidia)",
    });
  }
  return needs;
}

/** Every cluster's prerequisites, by cluster name: the stack output `prerequisites`. */
export function stackPrerequisites(config: StackConfig): Record<string, Prerequisite[]> {
  return Object.fromEntries(
    config.clusters.map((cluster) => [cluster.name, clusterPrerequisites(cluster, config)]),
  );
}
