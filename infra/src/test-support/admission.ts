import type { Prerequisite } from "../prerequisites.ts";
import type { KubernetesObject } from "./kubernetes-schemas.ts";
import { type PodSecurityLevel, type PodSpecForAdmission, podSecurityViolations } from "./pod-security.ts";

/**
 * What an API server and the kubelet would find missing or malformed in one cluster's objects, as
 * the program declares them: each reference a pod makes (ServiceAccount, image pull Secrets, Secret
 * and ConfigMap volumes and env, claims, RuntimeClass), each namespace, StorageClass, CRD and metrics
 * API the objects need, must be created by the program or listed as a prerequisite; KEDA's and the
 * HPA's targets must parse; pods must pass their namespace's Pod Security level.
 */
export function admissionProblems(
  objects: readonly KubernetesObject[],
  prerequisites: readonly Prerequisite[],
): string[] {
  const exists = new Set<string>();
  for (const object of objects)
    exists.add(ref(object.kind, object.metadata?.name, object.metadata?.namespace));
  for (const need of prerequisites) exists.add(ref(need.kind, need.name, need.namespace));
  const problems: string[] = [];
  const require = (what: string, by: KubernetesObject) => {
    if (exists.has(what)) return;
    problems.push(
      `${what}, which ${by.kind} ${by.metadata?.name ?? "?"} needs, is neither created nor a prerequisite`,
    );
  };

  for (const object of objects) {
    const namespace = object.metadata?.namespace;
    if (namespace !== undefined) require(ref("Namespace", namespace), object);
    if (!BUILT_IN_API.test(object.apiVersion)) {
      const group = object.apiVersion.split("/")[0] ?? "";
      require(ref("CustomResourceDefinition", `${object.kind.toLowerCase()}s.${group}`), object);
    }
    const spec = (object.spec ?? {}) as Record<string, unknown>;
    if (object.kind === "PersistentVolumeClaim" && typeof spec.storageClassName === "string") {
      require(ref("StorageClass", spec.storageClassName), object);
    }
    if (object.kind === "Deployment") {
      const template = spec.template as {
        metadata?: { labels?: Record<string, string> };
        spec: PodSpecForAdmission;
      };
      for (const needed of podReferences(template.spec as PodSpec))
        require(ref(
          needed.kind,
          needed.name,
          needed.kind === "RuntimeClass" ? undefined : namespace,
        ), object);
      problems.push(...podSecurityProblems(object, template.spec, objects));
    }
    if (object.kind === "AlertmanagerConfig") {
      for (const name of secretKeyRefs(spec.receivers)) require(ref("Secret", name, namespace), object);
    }
    problems.push(...targetProblems(object, exists));
  }
  return problems;
}

/** The core group (`v1`) and the built-in groups this program uses; any other group is a CRD's. */
const BUILT_IN_API = /^(v1|(apps|policy|networking\.k8s\.io|autoscaling)\/v\w+)$/;

function ref(kind: string, name: string | undefined, namespace?: string): string {
  return namespace === undefined ? `${kind} ${name ?? "?"}` : `${kind} ${namespace}/${name ?? "?"}`;
}

interface PodSpec extends PodSpecForAdmission {
  serviceAccountName?: string;
  runtimeClassName?: string;
  imagePullSecrets?: { name: string }[];
  volumes?: Record<string, unknown>[];
}
type EnvSource = {
  env?: { valueFrom?: { secretKeyRef?: { name: string }; configMapKeyRef?: { name: string } } }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
};

/** Every object a pod names; the namespace's `default` ServiceAccount is the API server's own. */
function podReferences(pod: PodSpec): { kind: string; name: string }[] {
  const refs: { kind: string; name: string }[] = [];
  if (pod.serviceAccountName !== undefined && pod.serviceAccountName !== "default") {
    refs.push({ kind: "ServiceAccount", name: pod.serviceAccountName });
  }
  if (pod.runtimeClassName !== undefined) refs.push({ kind: "RuntimeClass", name: pod.runtimeClassName });
  for (const secret of pod.imagePullSecrets ?? []) refs.push({ kind: "Secret", name: secret.name });
  for (const volume of pod.volumes ?? []) {
    const { secret, configMap, persistentVolumeClaim } = volume as {
      secret?: { secretName: string };
      configMap?: { name: string };
      persistentVolumeClaim?: { claimName: string };
    };
    if (secret) refs.push({ kind: "Secret", name: secret.secretName });
    if (configMap) refs.push({ kind: "ConfigMap", name: configMap.name });
    if (persistentVolumeClaim)
      refs.push({ kind: "PersistentVolumeClaim", name: persistentVolumeClaim.claimName });
  }
  for (const container of [...pod.containers, ...(pod.initContainers ?? [])] as EnvSource[]) {
    for (const variable of container.env ?? []) {
      const from = variable.valueFrom;
      if (from?.secretKeyRef) refs.push({ kind: "Secret", name: from.secretKeyRef.name });
      if (from?.configMapKeyRef) refs.push({ kind: "ConfigMap", name: from.configMapKeyRef.name });
    }
    for (const source of container.envFrom ?? []) {
      if (source.secretRef) refs.push({ kind: "Secret", name: source.secretRef.name });
      if (source.configMapRef) refs.push({ kind: "ConfigMap", name: source.configMapRef.name });
    }
  }
  return refs;
}

/** prometheus-operator's SecretKeySelector (`{ name, key }`) anywhere under the receivers. */
function secretKeyRefs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(secretKeyRefs);
  if (typeof value !== "object" || value === null) return [];
  const keys = Object.keys(value);
  if (keys.length === 2 && keys.includes("name") && keys.includes("key"))
    return [String(Reflect.get(value, "name"))];
  return Object.values(value).flatMap(secretKeyRefs);
}

function podSecurityProblems(
  deployment: KubernetesObject,
  pod: PodSpecForAdmission,
  objects: readonly KubernetesObject[],
): string[] {
  const namespace = objects.find(
    (o) => o.kind === "Namespace" && o.metadata?.name === deployment.metadata?.namespace,
  );
  const level = (namespace?.metadata?.labels?.["pod-security.kubernetes.io/enforce"] ??
    "privileged") as PodSecurityLevel;
  return podSecurityViolations(pod, level).map(
    (problem) => `Deployment ${deployment.metadata?.name ?? "?"} (${level}): ${problem}`,
  );
}

/** Go's strconv.ParseFloat, which KEDA reads thresholds with: no Kubernetes suffix such as "m". */
const GO_FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** A Kubernetes resource.Quantity. */
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

function targetProblems(object: KubernetesObject, exists: ReadonlySet<string>): string[] {
  const spec = (object.spec ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (object.kind === "ScaledObject") {
    for (const trigger of (spec.triggers ?? []) as { type: string; metadata: Record<string, unknown> }[]) {
      for (const field of ["threshold", "activationThreshold"]) {
        const value = trigger.metadata[field];
        if (value !== undefined && !(typeof value === "string" && GO_FLOAT.test(value))) {
          problems.push(
            `ScaledObject ${object.metadata?.name ?? "?"}: ${trigger.type} ${field} ${JSON.stringify(value)} is not a decimal KEDA can parse`,
          );
        }
      }
    }
  }
  if (object.kind === "HorizontalPodAutoscaler") {
    for (const metric of (spec.metrics ?? []) as {
      type: string;
      pods?: { target: { averageValue?: string } };
    }[]) {
      const value = metric.pods?.target.averageValue;
      if (value !== undefined && !QUANTITY.test(value))
        problems.push(
          `HorizontalPodAutoscaler ${object.metadata?.name ?? "?"}: averageValue ${value} is not a quantity`,
        );
      if (metric.type === "Pods" && !exists.has(ref("APIService", "v1beta1.custom.metrics.k8s.io"))) {
        problems.push(
          `HorizontalPodAutoscaler ${object.metadata?.name ?? "?"}: a Pods metric needs the custom metrics API, which is no prerequisite`,
        );
      }
    }
  }
  return problems;
}
