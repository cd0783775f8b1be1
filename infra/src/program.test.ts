import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { PRE_STOP_SLEEP_SECONDS } from "./components/backend-pod.ts";
import { backendServiceUrl } from "./components/labels.ts";
import { TUNNEL_PATH_REGEX } from "./components/tunnel-connector.ts";
import { createProgram, type ProgramOutputs } from "./program.ts";
import {
  isKubernetesResource,
  type KubernetesObject,
  kubernetesObject,
  validateObject,
} from "./test-support/kubernetes-schemas.ts";
import {
  installMocks,
  isSecretOutput,
  isWireSecret,
  outputOf,
  type RecordedResource,
  recordedResources,
  settle,
  withoutSecrets,
} from "./test-support/pulumi-mocks.ts";
import { exampleStack, SECRET_MARKER } from "./test-support/stack-fixture.ts";

installMocks();

type PodSpec = Omit<k8s.types.input.core.v1.PodSpec, "containers" | "initContainers"> & {
  containers: k8s.types.input.core.v1.Container[];
  initContainers?: k8s.types.input.core.v1.Container[];
};

const CLUSTERS = ["aws-use1", "gcp-euw4"] as const;
let program: ProgramOutputs;

beforeAll(async () => {
  program = createProgram(exampleStack());
  await settle(program);
});

function belongsTo(resource: RecordedResource, cluster: string): boolean {
  return resource.name === cluster || resource.name.startsWith(`${cluster}-`);
}

function objects(cluster?: string): KubernetesObject[] {
  return recordedResources()
    .filter((r) => isKubernetesResource(r) && (cluster === undefined || belongsTo(r, cluster)))
    .map(kubernetesObject);
}

function ofKind(kind: string, cluster?: string): KubernetesObject[] {
  return objects(cluster).filter((o) => o.kind === kind);
}

function one(kind: string, cluster: string, name: string): KubernetesObject {
  const found = ofKind(kind, cluster).filter((o) => o.metadata?.name === name);
  expect(found, `${kind} ${name} in ${cluster}`).toHaveLength(1);
  return found[0] as KubernetesObject;
}

function podSpec(deployment: KubernetesObject): PodSpec {
  return (deployment.spec as { template: { spec: PodSpec } }).template.spec;
}

function backendContainer(cluster: string): k8s.types.input.core.v1.Container {
  const [backend] = backendPod(cluster).containers;
  if (backend === undefined) throw new Error(`${cluster}: no backend container`);
  return backend;
}

function backendPod(cluster: string): PodSpec {
  return podSpec(one("Deployment", cluster, "sdgate-backend"));
}

function env(container: k8s.types.input.core.v1.Container, name: string): string | undefined {
  const found = (container.env as k8s.types.input.core.v1.EnvVar[] | undefined)?.find((e) => e.name === name);
  return found?.value as string | undefined;
}

describe("policy: every GPU pod requests a GPU", () => {
  it.each(CLUSTERS)(
    "%s: the backend asks for its GPUs and schedules only on the configured product",
    (cluster) => {
      const pod = backendPod(cluster);
      const [backend] = pod.containers;
      const resources = backend?.resources as {
        requests: Record<string, string>;
        limits: Record<string, string>;
      };
      expect(resources.limits["nvidia.com/gpu"]).toBe("1");
      expect(resources.requests["nvidia.com/gpu"]).toBe("1");
      expect(pod.tolerations).toContainEqual({
        key: "nvidia.com/gpu",
        operator: "Exists",
        effect: "NoSchedule",
      });
      const expected =
        cluster === "aws-use1"
          ? { "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3" }
          : { "cloud.google.com/gke-accelerator": "nvidia-l4" };
      expect(pod.nodeSelector).toEqual(expected);
    },
  );

  it("only the backend pods land on GPU nodes", () => {
    for (const deployment of ofKind("Deployment")) {
      const gpu = podSpec(deployment).containers.some((c) =>
        JSON.stringify(c.resources ?? {}).includes("nvidia.com/gpu"),
      );
      expect(gpu, deployment.metadata?.name).toBe(deployment.metadata?.name === "sdgate-backend");
    }
  });
});

describe("policy: backends are reachable only through the tunnel", () => {
  it("no Service is exposed outside its cluster and nothing else opens a way in", () => {
    for (const service of ofKind("Service"))
      expect((service.spec as { type: string }).type).toBe("ClusterIP");
    const kinds = new Set(objects().map((o) => o.kind));
    for (const open of ["Ingress", "Gateway", "HTTPRoute", "IngressRoute"])
      expect(kinds.has(open)).toBe(false);
    for (const deployment of ofKind("Deployment")) {
      const pod = podSpec(deployment);
      expect(pod.hostNetwork ?? false).toBe(false);
      for (const c of pod.containers)
        for (const port of (c.ports ?? []) as { hostPort?: number }[]) expect(port.hostPort).toBeUndefined();
    }
  });

  it.each(CLUSTERS)(
    "%s: ingress is denied by default and the backends admit only cloudflared and Prometheus",
    (cluster) => {
      const deny = one("NetworkPolicy", cluster, "default-deny-ingress").spec as Record<string, unknown>;
      expect(deny).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
      const allow = one("NetworkPolicy", cluster, "sdgate-backend-ingress").spec as {
        podSelector: { matchLabels: Record<string, string> };
        ingress: { from: Record<string, unknown>[]; ports: unknown[] }[];
      };
      expect(allow.podSelector.matchLabels["app.kubernetes.io/name"]).toBe("sdgate-backend");
      expect(allow.ingress).toHaveLength(1);
      expect(allow.ingress[0]?.ports).toEqual([{ protocol: "TCP", port: 8080 }]);
      const peers = allow.ingress[0]?.from ?? [];
      expect(peers).toEqual([
        {
          podSelector: { matchLabels: expect.objectContaining({ "app.kubernetes.io/name": "cloudflared" }) },
        },
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
          podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
        },
      ]);
      expect(JSON.stringify(peers)).not.toContain("ipBlock");
    },
  );

  it.each(CLUSTERS)(
    "%s: the tunnel routes only the edge's paths on its hostname to the backend Service",
    (cluster) => {
      const config = JSON.parse(
        (one("ConfigMap", cluster, "cloudflared-config").data as Record<string, string>)["config.yaml"] ?? "",
      ) as { tunnel: string; ingress: { hostname?: string; path?: string; service: string }[] };
      expect(config.tunnel).toMatch(/^[0-9a-f-]{36}$/);
      expect(config.ingress).toEqual([
        {
          hostname: `gpu-${cluster}.example.com`,
          path: TUNNEL_PATH_REGEX,
          service: backendServiceUrl("sdgate"),
          originRequest: expect.any(Object),
        },
        { service: "http_status:404" },
      ]);
      const path = new RegExp(TUNNEL_PATH_REGEX);
      for (const routed of ["/internal/v1/generate", "/internal/v1/jobs/j1/cancel", "/readyz", "/healthz"]) {
        expect(path.test(routed), routed).toBe(true);
      }
      for (const hidden of ["/metrics", "/", "/readyz/x", "/internal/v2/x"])
        expect(path.test(hidden), hidden).toBe(false);
    },
  );
});

describe("policy: each cluster's resources use that cluster's provider", () => {
  it("every Kubernetes object is registered with an explicit provider, never the ambient kubeconfig", () => {
    const resources = recordedResources().filter(isKubernetesResource);
    expect(resources.length).toBeGreaterThan(30);
    for (const resource of resources) {
      const cluster = CLUSTERS.find((c) => belongsTo(resource, c));
      expect(cluster, resource.name).toBeDefined();
      expect(resource.provider, `${resource.type} ${resource.name}`).toMatch(
        new RegExp(`::pulumi:providers:kubernetes::${cluster}::`),
      );
    }
  });

  it("each provider gets its own cluster's kubeconfig, as a secret", () => {
    const providers = recordedResources().filter((r) => r.type === "pulumi:providers:kubernetes");
    expect(providers.map((p) => p.name).sort()).toEqual([...CLUSTERS]);
    for (const provider of providers) {
      expect(isWireSecret(provider.inputs.kubeconfig), provider.name).toBe(true);
      expect(JSON.stringify(provider.inputs.kubeconfig)).toContain(`kube-${provider.name}`);
    }
  });
});

describe("policy: no secret in plain outputs", () => {
  it("the stack's outputs are plain and hold no secret", async () => {
    const outputs: Record<string, pulumi.Output<unknown>> = {
      edgeRegistry: program.edgeRegistry,
      clusters: program.clusters,
      prerequisites: program.prerequisites,
    };
    for (const [name, output] of Object.entries(outputs)) {
      expect(await isSecretOutput(output), name).toBe(false);
      expect(JSON.stringify(await outputOf(output)), name).not.toContain(SECRET_MARKER);
    }
  });

  it("secrets reach the clusters only inside Secret objects, marked secret", () => {
    for (const resource of recordedResources()) {
      const plain = JSON.stringify(withoutSecrets(resource.inputs));
      expect(plain, `${resource.type} ${resource.name}`).not.toContain(SECRET_MARKER);
    }
    const secrets = recordedResources().filter((r) => r.type === "kubernetes:core/v1:Secret");
    // Per cluster the HMAC keys, the image pull login, the tunnel's credentials and the alert receivers;
    // aws-use1's model credentials.
    expect(secrets.length).toBe(9);
    for (const secret of secrets) {
      const { stringData } = secret.inputs;
      // Either the whole map or each of its values travels as a secret.
      const values = isWireSecret(stringData)
        ? [stringData]
        : Object.values(stringData as Record<string, unknown>);
      for (const value of values) expect(isWireSecret(value), secret.name).toBe(true);
    }
  });

  it("a new keyring rolls the pods, by key ids that are public", () => {
    const annotations = (
      one("Deployment", "aws-use1", "sdgate-backend").spec as {
        template: { metadata: { annotations: Record<string, string> } };
      }
    ).template.metadata.annotations;
    expect(annotations["sdgate.dev/hmac-key-ids"]).toBe("k2,k1");
  });

  it("the backends pull their private image with the login the stack holds as a secret", () => {
    for (const cluster of CLUSTERS) {
      expect(backendPod(cluster).imagePullSecrets).toEqual([{ name: "sdgate-image-pull" }]);
      expect(one("Secret", cluster, "sdgate-image-pull").type).toBe("kubernetes.io/dockerconfigjson");
    }
  });

  it("the backends read the HMAC keys from the Secret, not from a literal", () => {
    for (const cluster of CLUSTERS) {
      const backend = backendContainer(cluster);
      const hmac = (backend.env as k8s.types.input.core.v1.EnvVar[]).find(
        (e) => e.name === "SDGATE_HMAC_KEYS",
      );
      expect(hmac).toEqual({
        name: "SDGATE_HMAC_KEYS",
        valueFrom: { secretKeyRef: { name: "sdgate-hmac", key: "SDGATE_HMAC_KEYS" } },
      });
    }
  });
});

describe("policy: pods run unprivileged on a read-only root filesystem", () => {
  it("every container, init containers included, is non-root, read-only, without capabilities", () => {
    for (const deployment of ofKind("Deployment")) {
      const pod = podSpec(deployment);
      for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
        expect(container.securityContext, `${deployment.metadata?.name}/${container.name}`).toMatchObject({
          runAsNonRoot: true,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
        });
      }
    }
  });

  it("the backend writes only to emptyDirs and reads the model read-only", () => {
    for (const cluster of CLUSTERS) {
      const pod = backendPod(cluster);
      const volumes = new Map((pod.volumes as k8s.types.input.core.v1.Volume[]).map((v) => [v.name, v]));
      for (const mount of backendContainer(cluster).volumeMounts as k8s.types.input.core.v1.VolumeMount[]) {
        const volume = volumes.get(mount.name as string);
        if (mount.readOnly) continue;
        expect(volume?.emptyDir, `${cluster}: ${String(mount.mountPath)}`).toBeDefined();
      }
      expect(env(pod.containers[0] as k8s.types.input.core.v1.Container, "SDGATE_MODEL_DIR")).toBe(
        "/var/lib/sdgate/models",
      );
    }
  });
});

describe("policy: a pod loads its model within the startup budget and drains before it stops", () => {
  it.each(CLUSTERS)("%s: liveness only starts after /readyz, within a 20-minute budget", (cluster) => {
    const backend = backendContainer(cluster);
    const startup = backend.startupProbe as {
      httpGet: { path: string };
      periodSeconds: number;
      failureThreshold: number;
    };
    expect(startup.httpGet.path).toBe("/readyz");
    expect(startup.periodSeconds * startup.failureThreshold).toBeGreaterThanOrEqual(1200);
    expect((backend.readinessProbe as { httpGet: { path: string } }).httpGet.path).toBe("/readyz");
    expect((backend.livenessProbe as { httpGet: { path: string } }).httpGet.path).toBe("/healthz");
  });

  it.each(CLUSTERS)(
    "%s: the grace period covers the preStop pause and the backend's whole drain",
    (cluster) => {
      const pod = backendPod(cluster);
      const backend = pod.containers[0] as k8s.types.input.core.v1.Container;
      expect(backend.lifecycle).toEqual({ preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } });
      const drainSeconds = Number(env(backend, "SDGATE_DRAIN_TIMEOUT_MS")) / 1000;
      expect(drainSeconds).toBe(120);
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(PRE_STOP_SLEEP_SECONDS + drainSeconds);
    },
  );

  it.each(CLUSTERS)("%s: a disruption budget lets one GPU pod go at a time", (cluster) => {
    const pdb = one("PodDisruptionBudget", cluster, "sdgate-backend").spec as Record<string, unknown>;
    expect(pdb).toMatchObject({
      maxUnavailable: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": "sdgate-backend" } },
    });
  });

  it.each(CLUSTERS)("%s: a node drain leaves a cloudflared connector running", (cluster) => {
    const pdb = one("PodDisruptionBudget", cluster, "cloudflared").spec as Record<string, unknown>;
    expect(pdb).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: expect.objectContaining({ "app.kubernetes.io/name": "cloudflared" }) },
    });
    expect((one("Deployment", cluster, "cloudflared").spec as { replicas: number }).replicas).toBe(2);
  });
});

describe("policy: backends scale on queue depth", () => {
  it("KEDA clusters get a ScaledObject whose Prometheus trigger reads the backend's queue depth", () => {
    const scaled = one("ScaledObject", "aws-use1", "sdgate-backend").spec as {
      minReplicaCount: number;
      maxReplicaCount: number;
      triggers: { type: string; metadata: Record<string, string> }[];
    };
    expect(scaled).toMatchObject({
      minReplicaCount: 1,
      maxReplicaCount: 8,
      scaleTargetRef: { name: "sdgate-backend" },
    });
    expect(scaled.triggers[0]?.type).toBe("prometheus");
    expect(scaled.triggers[0]?.metadata.query).toContain(
      'sdgate_queue_depth{namespace="sdgate",job="sdgate-backend"}',
    );
    expect(scaled.triggers[0]?.metadata.threshold).toBe("4");
    expect(ofKind("HorizontalPodAutoscaler", "aws-use1")).toHaveLength(0);
  });

  it("HPA clusters get an HPA on the queue-depth pods metric instead", () => {
    const hpa = one("HorizontalPodAutoscaler", "gcp-euw4", "sdgate-backend").spec as Record<string, unknown>;
    expect(hpa).toMatchObject({
      minReplicas: 1,
      maxReplicas: 4,
      metrics: [{ type: "Pods", pods: { metric: { name: "sdgate_queue_depth" } } }],
    });
    expect(ofKind("ScaledObject", "gcp-euw4")).toHaveLength(0);
  });

  it("an autoscaled Deployment leaves its replica count to the autoscaler", () => {
    for (const cluster of CLUSTERS) {
      expect(
        (one("Deployment", cluster, "sdgate-backend").spec as Record<string, unknown>).replicas,
      ).toBeUndefined();
    }
  });
});

describe("policy: every Kubernetes object matches its schema", () => {
  it("Kubernetes' schemas, and KEDA's and prometheus-operator's for their resources", () => {
    const all = objects();
    expect(new Set(all.map((o) => o.kind))).toEqual(
      new Set([
        "Namespace",
        "Secret",
        "ConfigMap",
        "PersistentVolumeClaim",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ScaledObject",
        "HorizontalPodAutoscaler",
        "ServiceMonitor",
        "PrometheusRule",
        "AlertmanagerConfig",
      ]),
    );
    for (const object of all) expect(() => validateObject(object)).not.toThrow();
  });

  it("the check has teeth: a broken object is refused with the bad field named", () => {
    const deployment = structuredClone(one("Deployment", "aws-use1", "sdgate-backend"));
    const spec = podSpec(deployment) as unknown as { containers: Record<string, unknown>[] };
    delete spec.containers[0]?.name;
    expect(() => validateObject(deployment)).toThrow(/containers\/0 must have required property name/);

    const scaled = structuredClone(one("ScaledObject", "aws-use1", "sdgate-backend"));
    (scaled.spec as { triggers: [{ metadata: Record<string, unknown> }] }).triggers[0].metadata.threshold = 4;
    expect(() => validateObject(scaled)).toThrow(/threshold must be string/);

    expect(() => validateObject({ apiVersion: "networking.k8s.io/v1", kind: "Ingress" })).toThrow(
      /no schema/,
    );
  });
});
