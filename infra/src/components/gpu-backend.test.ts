import { describe, expect, it } from "vitest";
import type { Cluster, StackConfig } from "../config/load-config.ts";
import {
  isKubernetesResource,
  kubernetesObject,
  validateObject,
} from "../test-support/kubernetes-schemas.ts";
import { type PodSpecForAdmission, podSecurityViolations } from "../test-support/pod-security.ts";
import { installMocks, recordedResources, settle, withoutSecrets } from "../test-support/pulumi-mocks.ts";
import { exampleStack } from "../test-support/stack-fixture.ts";
import { GpuBackend } from "./gpu-backend.ts";
import { rcloneRemote } from "./model-volume.ts";

installMocks();

type Raw = Record<string, unknown>;

function first<T>(items: readonly T[]): T {
  const [item] = items;
  if (item === undefined) throw new Error("expected at least one");
  return item;
}

/** Builds one GpuBackend from the example's cluster `index`, renamed to `name`, after `edit`. */
async function backend(name: string, index: number, edit: (cluster: Raw, values: Raw) => void = () => {}) {
  const config: StackConfig = exampleStack((values) => {
    const cluster = (values.clusters as Raw[])[index] as Raw;
    cluster.name = name;
    (cluster.tunnel as Raw).hostname = `${name}.example.com`;
    edit(cluster, values);
  });
  const cluster = config.clusters.find((c) => c.name === name) as Cluster;
  const component = new GpuBackend(name, {
    cluster,
    hmacKeys: config.hmacKeys,
    hmacKeyIds: config.hmacKeyIds,
    monitoring: config.monitoring,
    alerts: config.alerts,
  });
  await settle(component);
  const objects = recordedResources()
    .filter((r) => isKubernetesResource(r) && (r.name === name || r.name.startsWith(`${name}-`)))
    .map(kubernetesObject);
  for (const object of objects) validateObject(object);
  const find = (kind: string, objectName?: string) =>
    objects.filter((o) => o.kind === kind && (objectName === undefined || o.metadata?.name === objectName));
  const pod = (first(find("Deployment", "sdgate-backend")).spec as { template: { spec: Raw } }).template
    .spec as {
    containers: [Raw];
    initContainers: Raw[];
    volumes: Raw[];
  };
  return { component, find, pod };
}

describe("GpuBackend", () => {
  it("without an autoscaler, runs replicas.min pods and creates no ScaledObject or HPA", async () => {
    const { find } = await backend("fixed", 0, (c) => (c.autoscaling = { mode: "none" }));
    expect((first(find("Deployment", "sdgate-backend")).spec as Raw).replicas).toBe(1);
    expect(find("ScaledObject")).toHaveLength(0);
    expect(find("HorizontalPodAutoscaler")).toHaveLength(0);
  });

  it("sets a fractional queue depth per pod as a plain decimal, which KEDA and the HPA both parse", async () => {
    const keda = await backend("fraction-keda", 0, (c) => ((c.autoscaling as Raw).queueDepthPerPod = 1.5));
    const scaled = first(keda.find("ScaledObject"));
    const trigger = (scaled.spec as { triggers: [{ metadata: Raw }] }).triggers[0];
    expect(trigger.metadata.threshold).toBe("1.5");
    const hpa = await backend("fraction-hpa", 1, (c) => ((c.autoscaling as Raw).queueDepthPerPod = 0.25));
    const [autoscaler] = hpa.find("HorizontalPodAutoscaler");
    expect(JSON.stringify(autoscaler?.spec)).toContain('"averageValue":"0.25"');
  });

  it("rolls out with a spare GPU by default, or pod by pod in place when told to replace", async () => {
    const strategy = (found: Awaited<ReturnType<typeof backend>>) =>
      (first(found.find("Deployment", "sdgate-backend")).spec as Raw).strategy;
    expect(strategy(await backend("surging", 0))).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(strategy(await backend("replacing", 0, (c) => (c.rollout = "replace")))).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
  });

  it("fills a PVC model volume from its source once, under the restricted pod security profile", async () => {
    const { find, pod } = await backend("pvc", 0);
    expect(find("PersistentVolumeClaim")[0]?.spec).toEqual({
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: "20Gi" } },
      storageClassName: "efs-sc",
    });
    const [fetch] = pod.initContainers;
    expect(fetch).toMatchObject({
      name: "fetch-model",
      envFrom: [{ secretRef: { name: "sdgate-model-credentials" } }],
    });
    expect(fetch?.env).toContainEqual({
      name: "MODEL_SOURCE",
      value: ":s3,provider=AWS,env_auth=true,region=us-east-1:acme-models/sd15-onnx",
    });
    expect(find("Secret", "sdgate-model-credentials")[0]?.stringData).toEqual({
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: "LEAKME-model-reader",
    });
    expect(String((first(pod.initContainers).command as string[])[2])).toContain(".sdgate-complete");
    const backendEnv = (pod.containers[0].env as Raw[]).find((e) => e.name === "SDGATE_MODEL_FOLDERS");
    expect(backendEnv?.value).toBe("sd15=/models/sd15");
    expect(find("Namespace")[0]?.metadata?.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("reads the model with a Secret the operator made, or with the pod's identity, creating none", async () => {
    const named = await backend("named-secret", 0, (c) => {
      const model = c.model as Raw;
      delete model.credentials;
      model.credentialsSecretName = "model-reader";
    });
    expect(first(named.pod.initContainers).envFrom).toEqual([{ secretRef: { name: "model-reader" } }]);
    expect(named.find("Secret", "sdgate-model-credentials")).toHaveLength(0);
    const identity = await backend("pod-identity", 0, (c) => delete (c.model as Raw).credentials);
    expect(first(identity.pod.initContainers).envFrom).toBeUndefined();
    expect(identity.find("Secret", "sdgate-model-credentials")).toHaveLength(0);
  });

  it("pulls from a private registry with the operator's Secrets and one made from a login", async () => {
    const { find, pod } = await backend("private", 0, (c) => {
      c.imagePullSecrets = ["org-pull"];
      c.imagePullCredentials = { server: "ghcr.io", username: "acme-bot", password: "LEAKME-ghcr" };
    });
    expect((pod as Raw).imagePullSecrets).toEqual([{ name: "org-pull" }, { name: "sdgate-image-pull" }]);
    const secret = first(find("Secret", "sdgate-image-pull"));
    expect(secret.type).toBe("kubernetes.io/dockerconfigjson");
    const config = JSON.parse((secret.stringData as Record<string, string>)[".dockerconfigjson"] ?? "");
    expect(config).toEqual({
      auths: {
        "ghcr.io": {
          username: "acme-bot",
          password: "LEAKME-ghcr",
          auth: Buffer.from("acme-bot:LEAKME-ghcr").toString("base64"),
        },
      },
    });
    const recorded = recordedResources().find((r) => r.name === "private-access-image-pull");
    expect(JSON.stringify(withoutSecrets(recorded?.inputs))).not.toContain("LEAKME");
  });

  it("runs as a ServiceAccount it creates with the cloud identity's annotations, or as a named one", async () => {
    const role = { "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/sdgate-models" };
    const created = await backend("irsa", 0, (c) => (c.serviceAccount = { create: true, annotations: role }));
    expect((created.pod as Raw).serviceAccountName).toBe("sdgate-backend");
    expect(first(created.find("ServiceAccount"))).toMatchObject({
      metadata: { name: "sdgate-backend", namespace: "sdgate", annotations: role },
      automountServiceAccountToken: false,
    });
    const named = await backend("named-account", 0, (c) => (c.serviceAccount = { name: "model-reader" }));
    expect((named.pod as Raw).serviceAccountName).toBe("model-reader");
    expect(named.find("ServiceAccount")).toHaveLength(0);
    const plain = await backend("default-account", 0, (c) => delete c.imagePullCredentials);
    expect((plain.pod as Raw).serviceAccountName).toBeUndefined();
    expect((plain.pod as Raw).imagePullSecrets).toBeUndefined();
  });

  it("runs the backend under the configured RuntimeClass", async () => {
    const { pod } = await backend("runtime", 0, (c) => (c.runtimeClassName = "nvidia"));
    expect((pod as Raw).runtimeClassName).toBe("nvidia");
  });

  it("on NFS-like storage, gives the volume to the backend's UID in a root chown step admitted as baseline", async () => {
    const { find, pod } = await backend("nfs", 0, (c) => ((c.model as Raw).volumePermissions = "chown"));
    expect(pod.initContainers.map((c) => c.name)).toEqual(["own-model-volume", "fetch-model"]);
    const own = first(pod.initContainers);
    expect(own).toMatchObject({
      command: ["/bin/sh", "-c", "chown 10001:10001 /models"],
      volumeMounts: [{ name: "model", mountPath: "/models" }],
      securityContext: { runAsUser: 0, capabilities: { drop: ["ALL"], add: ["CHOWN"] } },
    });
    const labels = first(find("Namespace")).metadata?.labels ?? {};
    expect(labels["pod-security.kubernetes.io/enforce"]).toBe("baseline");
    const admitted = pod as unknown as PodSpecForAdmission;
    expect(podSecurityViolations(admitted, "baseline")).toEqual([]);
    expect(podSecurityViolations(admitted, "restricted")).toEqual([
      "own-model-volume: may run as root",
      "own-model-volume: runs as UID 0",
      "own-model-volume: adds CHOWN (restricted)",
    ]);
  });

  it("on a group-writable export that squashes root, writes through a supplemental group, still restricted", async () => {
    const { find, pod } = await backend(
      "nfs-group",
      0,
      (c) => ((c.model as Raw).supplementalGroups = [5000]),
    );
    expect((pod as Raw).securityContext).toMatchObject({ fsGroup: 10001, supplementalGroups: [5000] });
    expect(pod.initContainers.map((c) => c.name)).toEqual(["fetch-model"]);
    expect(first(find("Namespace")).metadata?.labels?.["pod-security.kubernetes.io/enforce"]).toBe(
      "restricted",
    );
    expect(podSecurityViolations(pod as unknown as PodSpecForAdmission, "restricted")).toEqual([]);
  });

  it("lets cloudflared run on tainted nodes when given the taints", async () => {
    const toleration = { key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" };
    const { find } = await backend("tainted", 0, (c) => ((c.tunnel as Raw).tolerations = [toleration]));
    const tunnel = first(find("Deployment", "cloudflared")).spec as { template: { spec: Raw } };
    expect(tunnel.template.spec.tolerations).toEqual([toleration]);
  });

  it("mounts an image model volume read-only with no init container", async () => {
    const { find, pod } = await backend("image", 1);
    expect(pod.volumes).toContainEqual({
      name: "model",
      image: { reference: "europe-docker.pkg.dev/acme/models/sd15-onnx:1", pullPolicy: "IfNotPresent" },
    });
    expect(pod.initContainers).toEqual([]);
    expect(find("PersistentVolumeClaim")).toHaveLength(0);
    expect((pod.containers[0].volumeMounts as Raw[])[0]).toEqual({
      name: "model",
      mountPath: "/models",
      readOnly: true,
    });
    expect(find("Namespace")[0]?.metadata?.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/warn": "restricted",
    });
  });

  it("asks for as many GPUs as gpu.perPod says, and passes the serving limits to the backend", async () => {
    const { pod } = await backend("multi", 0, (c) => {
      (c.gpu as Raw).perPod = 2;
      c.serving = {
        queueSize: 64,
        maxBatch: 8,
        executionProviders: "cuda:device_loop=1,enable_cuda_graph=1,cpu",
      };
    });
    const resources = pod.containers[0]?.resources as { limits: Raw };
    expect(resources.limits["nvidia.com/gpu"]).toBe("2");
    expect(pod.containers[0]?.env).toEqual(
      expect.arrayContaining([
        { name: "SDGATE_QUEUE_SIZE", value: "64" },
        { name: "SDGATE_MAX_BATCH", value: "8" },
        { name: "SDGATE_EXECUTION_PROVIDERS", value: "cuda:device_loop=1,enable_cuda_graph=1,cpu" },
        { name: "SDGATE_BACKEND_NAME", value: "multi" },
      ]),
    );
  });

  it("scrapes /metrics, loads the dashboard into Grafana's namespace and routes alerts to the receivers", async () => {
    const { find } = await backend("watched", 0);
    expect(find("ServiceMonitor")[0]).toMatchObject({
      metadata: { labels: { release: "kube-prometheus-stack" } },
      spec: {
        endpoints: [{ port: "http", path: "/metrics" }],
        selector: { matchLabels: { "app.kubernetes.io/name": "sdgate-backend" } },
      },
    });
    const [dashboard] = find("ConfigMap", "sdgate-watched-dashboard");
    expect(dashboard?.metadata).toMatchObject({
      namespace: "monitoring",
      labels: { grafana_dashboard: "1" },
    });
    const json = JSON.parse(String(Object.values(dashboard?.data as Raw)[0])) as { title: string };
    expect(json.title).toBe("sdgate backends: watched");
    expect(find("AlertmanagerConfig")[0]?.spec).toMatchObject({
      route: { receiver: "sdgate-drop", routes: [{ receiver: "oncall", continue: true }] },
      receivers: [
        { name: "sdgate-drop" },
        { name: "oncall", slackConfigs: [{ apiURL: { name: "sdgate-alert-receivers", key: "oncall" } }] },
      ],
    });
  });

  it("creates no Alertmanager routing when there are no receivers", async () => {
    const { find } = await backend("quiet", 0, (_, values) => (values.alerts = {}));
    expect(find("AlertmanagerConfig")).toHaveLength(0);
    expect(
      find("Secret")
        .map((s) => s.metadata?.name)
        .sort(),
    ).toEqual(["cloudflared-credentials", "sdgate-hmac", "sdgate-image-pull", "sdgate-model-credentials"]);
  });

  it("names its pods as the edge's registry names its pool, since signatures are made for that name", async () => {
    const { component, pod } = await backend("signed-for", 0);
    const env = pod.containers[0]?.env as Array<{ name: string; value?: string }>;
    expect(env.find((variable) => variable.name === "SDGATE_BACKEND_NAME")?.value).toBe(component.pool.name);
    expect(env).toContainEqual({ name: "SDGATE_ACCEPT_V2_SIGNATURES", value: "false" });
  });

  it("accepts the edge's older signatures only when told to, for an upgrade", async () => {
    const { pod } = await backend("upgrading", 0, (c) => {
      c.acceptV2Signatures = true;
    });
    expect(pod.containers[0]?.env).toContainEqual({ name: "SDGATE_ACCEPT_V2_SIGNATURES", value: "true" });
  });

  it("exposes the edge's pool for this cluster", async () => {
    const { component } = await backend("pool", 1);
    expect(component.pool).toEqual({
      name: "pool",
      url: "https://pool.example.com",
      provider: "gcp",
      region: "europe-west4",
      priority: 0,
      weight: 1,
      near: ["EU", "DE", "NL", "FR"],
    });
  });
});

describe("model sources", () => {
  it.each([
    ["s3://bucket/models/sd15/", ":s3,provider=AWS,env_auth=true,region=eu-west-1:bucket/models/sd15"],
    ["gs://bucket/sd15", ":gcs,env_auth=true:bucket/sd15"],
    ["https://models.example.com/sd15/", ":http,url='https://models.example.com':sd15/"],
  ])("%s is copied from rclone remote %s", (source, remote) => {
    expect(rcloneRemote(source, source.startsWith("s3:") ? "eu-west-1" : undefined)).toBe(remote);
  });
});
