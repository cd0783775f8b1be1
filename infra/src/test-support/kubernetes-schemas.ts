import { ScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import {
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { AlertmanagerConfig } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from "kubernetes-models/v1";
import { type RecordedResource, unwrapSecrets } from "./pulumi-mocks.ts";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/**
 * The JSON schemas of every kind the program creates: Kubernetes' own OpenAPI schemas
 * (kubernetes-models) and, for the CRDs, the schemas KEDA and prometheus-operator publish.
 */
const MODELS: Record<string, ModelClass> = {
  "v1/Namespace": Namespace,
  "v1/Secret": Secret,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "keda.sh/v1alpha1/ScaledObject": ScaledObject,
  "monitoring.coreos.com/v1/ServiceMonitor": ServiceMonitor,
  "monitoring.coreos.com/v1/PrometheusRule": PrometheusRule,
  "monitoring.coreos.com/v1alpha1/AlertmanagerConfig": AlertmanagerConfig,
};

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** The Kubernetes object a recorded resource declares (a Pulumi Kubernetes resource's inputs are it). */
export function kubernetesObject(resource: RecordedResource): KubernetesObject {
  const { apiVersion, kind } = resource.inputs;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    throw new Error(`${resource.type} ${resource.name} has no apiVersion/kind`);
  }
  return unwrapSecrets(resource.inputs) as KubernetesObject;
}

/** Kubernetes resources only: not providers, not components. */
export function isKubernetesResource(resource: RecordedResource): boolean {
  return resource.custom && resource.type.startsWith("kubernetes:");
}

/** Throws, naming the object and the schema's complaint, unless the object matches its kind's schema. */
export function validateObject(object: KubernetesObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  const label = `${object.apiVersion} ${object.kind} ${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? "?"}`;
  if (Model === undefined) throw new Error(`${label}: no schema known for this kind`);
  try {
    new Model(object as never).validate();
  } catch (error) {
    throw new Error(`${label}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
