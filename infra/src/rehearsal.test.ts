import { beforeAll, describe, expect, it } from "vitest";
import { startupBudget } from "./components/startup-budget.ts";
import { clusterPrerequisites } from "./prerequisites.ts";
import { createProgram, type ProgramOutputs } from "./program.ts";
import { admissionProblems } from "./test-support/admission.ts";
import {
  isKubernetesResource,
  type KubernetesObject,
  kubernetesObject,
} from "./test-support/kubernetes-schemas.ts";
import {
  installMocks,
  outputOf,
  type RecordedResource,
  recordedResources,
  settle,
} from "./test-support/pulumi-mocks.ts";
import { exampleStack } from "./test-support/stack-fixture.ts";

installMocks();

/**
 * A first `pulumi up` of the documented example stack, short of a cluster: what an API server would
 * refuse or leave stuck at admission, and what Pulumi would give up on, is found here instead.
 */
const config = exampleStack();
let program: ProgramOutputs;

beforeAll(async () => {
  program = createProgram(config);
  await settle(program);
});

function registered(type: string, cluster: string): RecordedResource[] {
  return recordedResources().filter((r) => r.type === type && belongsTo(r, cluster));
}

function belongsTo(resource: RecordedResource, cluster: string): boolean {
  return resource.name === cluster || resource.name.startsWith(`${cluster}-`);
}

function objectsOf(cluster: string): KubernetesObject[] {
  return recordedResources()
    .filter((r) => isKubernetesResource(r) && belongsTo(r, cluster))
    .map(kubernetesObject);
}

function clusterNamed(name: string) {
  const cluster = config.clusters.find((c) => c.name === name);
  if (cluster === undefined) throw new Error(`no cluster ${name}`);
  return cluster;
}

const CLUSTERS = config.clusters.map((c) => c.name);

function only(type: string, cluster: string, objectName = "sdgate-backend"): RecordedResource {
  const [found, ...more] = registered(type, cluster).filter(
    (r) => (r.inputs.metadata as { name?: string } | undefined)?.name === objectName,
  );
  if (found === undefined || more.length > 0) throw new Error(`expected one ${type} in ${cluster}`);
  return found;
}

/** Go's duration syntax as Pulumi reads custom timeouts ("52m", "1h30m", "90s"). */
function goDurationSeconds(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1 };
  const parts = [...text.matchAll(/(\d+)([hms])/g)];
  if (parts.map((p) => p[0]).join("") !== text || parts.length === 0)
    throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * (units[unit ?? ""] ?? 0), 0);
}

describe("rehearsal: Pulumi waits out a GPU pod's whole start", () => {
  it.each(config.clusters.map((c) => [c.name, c] as const))(
    "%s: the backend's timeouts and progress deadline cover node scale-up, image pull, model copy and warm-up",
    (name, cluster) => {
      const budget = startupBudget(cluster);
      expect(budget.totalSeconds).toBeGreaterThan(20 * 60);
      const deployment = only("kubernetes:apps/v1:Deployment", name);
      const timeouts = deployment.customTimeouts;
      if (timeouts === undefined) throw new Error(`${name}: the backend Deployment has no custom timeouts`);
      expect(goDurationSeconds(timeouts.create)).toBeGreaterThanOrEqual(budget.totalSeconds);
      expect(goDurationSeconds(timeouts.update)).toBeGreaterThanOrEqual(
        budget.totalSeconds * cluster.replicas.max,
      );
      const spec = deployment.inputs.spec as { progressDeadlineSeconds: number };
      expect(spec.progressDeadlineSeconds).toBeGreaterThanOrEqual(budget.totalSeconds);
    },
  );

  it("no autoscaler waits for the backend's rollout", () => {
    // The QueueAutoscaler components and what they hold: a component's dependsOn holds back its children.
    const autoscalers = recordedResources().filter((r) => /-autoscaler$/.test(r.name));
    expect(autoscalers.map((r) => r.type).sort()).toEqual([
      "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
      "kubernetes:keda.sh/v1alpha1:ScaledObject",
      "sdgate:infra:QueueAutoscaler",
      "sdgate:infra:QueueAutoscaler",
    ]);
    for (const autoscaler of autoscalers) {
      expect(autoscaler.dependencies.join(" "), autoscaler.name).not.toContain(
        "kubernetes:apps/v1:Deployment",
      );
    }
    expect(
      (
        only("kubernetes:keda.sh/v1alpha1:ScaledObject", "aws-use1").inputs.metadata as {
          annotations: object;
        }
      ).annotations,
    ).toEqual({ "pulumi.com/skipAwait": "true" });
  });
});

describe("rehearsal: the API server admits every object and each pod finds what it names", () => {
  it.each(CLUSTERS)(
    "%s: each Secret, ConfigMap, ServiceAccount, claim, namespace, class and CRD is created or a prerequisite",
    (name) => {
      const prerequisites = clusterPrerequisites(clusterNamed(name), config);
      expect(admissionProblems(objectsOf(name), prerequisites)).toEqual([]);
    },
  );

  it("the example stack needs only the add-ons and its storage class, which the stack output lists", async () => {
    const listed = await outputOf(program.prerequisites);
    const names = (cluster: string) => (listed[cluster] ?? []).map((p) => `${p.kind} ${p.name}`);
    expect(names("aws-use1")).toEqual([
      "CustomResourceDefinition servicemonitors.monitoring.coreos.com",
      "CustomResourceDefinition prometheusrules.monitoring.coreos.com",
      "CustomResourceDefinition alertmanagerconfigs.monitoring.coreos.com",
      "Namespace monitoring",
      "CustomResourceDefinition scaledobjects.keda.sh",
      "StorageClass efs-sc",
    ]);
    expect(names("gcp-euw4")).toContain("APIService v1beta1.custom.metrics.k8s.io");
    expect(names("gcp-euw4")).not.toContain("CustomResourceDefinition scaledobjects.keda.sh");
  });

  it("the check has teeth: a Secret nobody creates, an unlisted class and a milli-unit threshold are named", () => {
    const objects = objectsOf("aws-use1")
      .filter((o) => !(o.kind === "Secret" && o.metadata?.name === "sdgate-model-credentials"))
      .map((o) => structuredClone(o));
    const scaled = objects.find((o) => o.kind === "ScaledObject") as KubernetesObject;
    (scaled.spec as { triggers: [{ metadata: Record<string, unknown> }] }).triggers[0].metadata.threshold =
      "1500m";
    const prerequisites = clusterPrerequisites(clusterNamed("aws-use1"), config).filter(
      (p) => p.kind !== "StorageClass",
    );
    expect(admissionProblems(objects, prerequisites).sort()).toEqual([
      'ScaledObject sdgate-backend: prometheus threshold "1500m" is not a decimal KEDA can parse',
      "Secret sdgate/sdgate-model-credentials, which Deployment sdgate-backend needs, is neither created nor a prerequisite",
      "StorageClass efs-sc, which PersistentVolumeClaim sdgate-model-sd15 needs, is neither created nor a prerequisite",
    ]);
  });

  it("a Secret the operator makes passes once the config names it, and so is listed", () => {
    const cluster = clusterNamed("aws-use1");
    const named = { ...cluster, model: { ...cluster.model, credentialsSecretName: "model-reader" } };
    const objects = objectsOf("aws-use1").map((o) => {
      const json = JSON.stringify(o).replaceAll('"sdgate-model-credentials"', '"model-reader"');
      return JSON.parse(json) as KubernetesObject;
    });
    const withoutOwnSecret = objects.filter(
      (o) => !(o.kind === "Secret" && o.metadata?.name === "model-reader"),
    );
    expect(admissionProblems(withoutOwnSecret, clusterPrerequisites(cluster, config))).toHaveLength(1);
    expect(admissionProblems(withoutOwnSecret, clusterPrerequisites(named, config))).toEqual([]);
  });
});
