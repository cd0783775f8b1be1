import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { installMocks, outputOf } from "../test-support/pulumi-mocks.ts";
import { exampleConfigValues, exampleStack, SECRET_MARKER, sourceOf } from "../test-support/stack-fixture.ts";
import { loadStackConfig, StackConfigError } from "./load-config.ts";

installMocks();

type Raw = Record<string, unknown>;

/** Loads the example with one edit and returns the error message (or fails if it loads). */
function problemWith(edit: (values: Raw, clusters: [Raw, Raw]) => void): string {
  const values = exampleConfigValues();
  edit(values, values.clusters as [Raw, Raw]);
  try {
    loadStackConfig(sourceOf(values));
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as Error).message;
  }
  throw new Error("the config loaded");
}

describe("stack configuration", () => {
  it("loads the documented example with its defaults filled in", () => {
    const config = exampleStack();
    expect(config.clusters.map((c) => [c.name, c.provider, c.region])).toEqual([
      ["aws-use1", "aws", "us-east-1"],
      ["gcp-euw4", "gcp", "europe-west4"],
    ]);
    const [aws, gcp] = config.clusters;
    expect(aws).toMatchObject({
      namespace: "sdgate",
      image: "ghcr.io/acme/sdgate-backend:0.1.0",
      gpu: { productLabel: "nvidia.com/gpu.product", perPod: 1 },
      autoscaling: { mode: "keda", queueDepthPerPod: 4, scaleDownStabilizationSeconds: 600 },
      model: {
        kind: "pvc",
        accessMode: "ReadWriteMany",
        volumePermissions: "fsGroup",
        supplementalGroups: [],
        fetcherImage: expect.stringMatching(/^rclone\//),
      },
      tunnel: {
        hostname: "gpu-aws-use1.example.com",
        id: "6ff42ae2-765d-4adf-8112-31c55c1551e0",
        replicas: 2,
      },
      serving: { queueSize: 32, maxBatch: 4, executionProviders: "cuda,cpu" },
      rollout: "surge",
      startupBudgetSeconds: 1200,
      nodeScaleUpSeconds: 600,
      imagePullSeconds: 600,
      drainTimeoutSeconds: 120,
    });
    expect(gcp).toMatchObject({
      autoscaling: { mode: "hpa" },
      model: { kind: "image", pullPolicy: "IfNotPresent" },
    });
    expect(config.monitoring).toMatchObject({
      namespace: "monitoring",
      selectorLabels: { release: "kube-prometheus-stack" },
    });
    expect(config.alerts.receivers).toEqual([
      { name: "oncall", kind: "slack", minSeverity: "warning", secret: expect.anything() },
    ]);
  });

  it("wraps every secret so that nothing built from it can become a plain output", async () => {
    const config = exampleStack();
    const secrets: pulumi.Output<unknown>[] = [
      config.hmacKeys,
      ...config.clusters.flatMap((c) => [c.kubeconfig, c.tunnel.credentials]),
      ...config.clusters.flatMap((c) => (c.imagePullCredentials ? [c.imagePullCredentials.password] : [])),
      ...config.alerts.receivers.map((r) => r.secret),
      ...config.clusters.flatMap((c) =>
        c.model.kind === "pvc" && c.model.credentials ? [c.model.credentials] : [],
      ),
    ];
    for (const secret of secrets) {
      expect(await pulumi.isSecret(secret)).toBe(true);
      expect(JSON.stringify(await outputOf(secret))).toContain(SECRET_MARKER);
    }
  });

  it.each<[string, (values: Raw, clusters: [Raw, Raw]) => void, string]>([
    ["a missing cluster list", (v) => delete v.clusters, "sdgate:clusters: is required"],
    ["an empty cluster list", (v) => (v.clusters = []), "sdgate:clusters: must list at least one cluster"],
    ["missing HMAC keys", (v) => delete v.hmacKeys, "sdgate:hmacKeys: is required"],
    ["a zero GPU count", (_, [c]) => ((c.gpu as Raw).perPod = 0), "sdgate:clusters[0].gpu.perPod:"],
    ["a missing GPU product", (_, [, c]) => delete (c.gpu as Raw).product, "sdgate:clusters[1].gpu.product:"],
    [
      "max below min",
      (_, [c]) => (c.replicas = { min: 3, max: 2 }),
      "sdgate:clusters[0].replicas.max: must be at least replicas.min",
    ],
    [
      "scale from zero",
      (_, [c]) => (c.replicas = { min: 0, max: 2 }),
      "sdgate:clusters[0].replicas.min: must be at least 1",
    ],
    [
      "an unknown autoscaler",
      (_, [c]) => ((c.autoscaling as Raw).mode = "vpa"),
      "sdgate:clusters[0].autoscaling.mode:",
    ],
    [
      "a duplicate cluster name",
      (_, [a, b]) => (b.name = a.name),
      "sdgate:clusters[1].name: 'aws-use1' is used twice",
    ],
    [
      "a name that is no DNS label",
      (_, [c]) => (c.name = "AWS_1"),
      "sdgate:clusters[0].name: must be 1-40 lowercase",
    ],
    [
      "a shared tunnel hostname",
      (_, [a, b]) => ((b.tunnel as Raw).hostname = (a.tunnel as Raw).hostname),
      "sdgate:clusters[1].tunnel.hostname: is used by another cluster",
    ],
    [
      "a model source of an unknown kind",
      (_, [c]) => ((c.model as Raw).source = "ftp://x/y"),
      "sdgate:clusters[0].model.source: must be an s3://",
    ],
    ["an unknown model kind", (_, [c]) => ((c.model as Raw).kind = "nfs"), "sdgate:clusters[0].model.kind:"],
    [
      "a ReadWriteOnce model volume for many pods",
      (_, [c]) => ((c.model as Raw).accessMode = "ReadWriteOnce"),
      "sdgate:clusters[0].model.accessMode: ReadWriteOnce cannot be mounted",
    ],
    [
      "a misspelt field",
      (_, [c]) => (c.replica = { min: 1, max: 2 }),
      'sdgate:clusters[0]: Unrecognized key: "replica"',
    ],
    [
      "no image anywhere",
      (v) => delete v.image,
      "sdgate:clusters[0].image: is required when sdgate:image is not set",
    ],
    [
      "a registry field the edge does not know",
      (v) => (v.registry = { strategy: "x" }),
      "sdgate:registry: Unrecognized key",
    ],
    [
      "a retry policy the edge would refuse",
      (v) => (v.registry = { retry: { attempts: 0 } }),
      "sdgate:registry.retry.attempts: Too small",
    ],
    [
      "a receiver with two targets",
      (v) => (((v.alerts as Raw).receivers as [Raw])[0].webhookUrl = "https://x.example"),
      "sdgate:alerts.receivers[0]: must set exactly one",
    ],
    [
      "a queue depth KEDA could not read",
      (_, [c]) => ((c.autoscaling as Raw).queueDepthPerPod = 1.2345),
      "sdgate:clusters[0].autoscaling.queueDepthPerPod: must have at most three decimals",
    ],
    [
      "a rollout that would stop the only backend",
      (v, [c]) => {
        v.clusters = [c];
        c.rollout = "replace";
      },
      "sdgate:clusters[0].rollout: replace would stop the only backend pod",
    ],
    ["an unknown rollout", (_, [c]) => (c.rollout = "recreate"), "sdgate:clusters[0].rollout:"],
    [
      "model credentials given twice",
      (_, [c]) => ((c.model as Raw).credentialsSecretName = "model-reader"),
      "sdgate:clusters[0].model.credentialsSecretName: must not be set with model.credentials",
    ],
    [
      "an s3 source without its region",
      (_, [c]) => delete (c.model as Raw).region,
      "sdgate:clusters[0].model.region: is required for an s3:// source",
    ],
    [
      "a credential that is no variable name",
      (_, [c]) => ((c.model as Raw).credentials = { "AWS-KEY": "x" }),
      "sdgate:clusters[0].model.credentials.AWS-KEY: must be an environment variable name",
    ],
    [
      "a ServiceAccount neither named nor created",
      (_, [c]) => (c.serviceAccount = {}),
      "sdgate:clusters[0].serviceAccount.name: must name an existing ServiceAccount, or set create: true",
    ],
    [
      "annotations for a ServiceAccount the program does not create",
      (_, [c]) => (c.serviceAccount = { name: "x", annotations: { a: "b" } }),
      "sdgate:clusters[0].serviceAccount.annotations: apply only to a ServiceAccount the program creates",
    ],
    [
      "an image pull login without its password",
      (_, [c]) => (c.imagePullCredentials = { server: "ghcr.io", username: "u" }),
      "sdgate:clusters[0].imagePullCredentials.password:",
    ],
    ["a ratio above 1", (v) => ((v.alerts as Raw).errorRatio = 5), "sdgate:alerts.errorRatio:"],
    [
      "a structured key that is not JSON",
      (v) => (v.monitoring = "{not json"),
      "sdgate:monitoring: must be a structured value",
    ],
  ])("refuses %s, naming the key", (_, edit, message) => {
    expect(problemWith(edit)).toContain(message);
  });

  it("reports every problem at once", () => {
    const message = problemWith((values, [a, b]) => {
      (a.gpu as Raw).perPod = 0;
      b.region = "";
      delete values.hmacKeys;
    });
    expect(message).toContain("sdgate:clusters[0].gpu.perPod");
    expect(message).toContain("sdgate:clusters[1].region");
    expect(message).toContain("sdgate:hmacKeys");
  });

  it("names a bad secret without printing it", () => {
    const short = `k1:${SECRET_MARKER}`;
    const hmac = problemWith((values) => (values.hmacKeys = short));
    expect(hmac).toMatch(/^Invalid stack configuration:\n {2}sdgate:hmacKeys: /);
    expect(hmac).not.toContain(SECRET_MARKER);
    const tunnel = problemWith((_, [c]) => {
      (c.tunnel as Raw).credentials = JSON.stringify({
        AccountTag: "a",
        TunnelSecret: SECRET_MARKER,
        TunnelID: "nope",
      });
    });
    expect(tunnel).toContain(
      "sdgate:clusters[0].tunnel.credentials: must hold AccountTag, TunnelSecret and a TunnelID UUID (bad: TunnelID)",
    );
    expect(tunnel).not.toContain(SECRET_MARKER);
    const notJson = problemWith((_, [c]) => ((c.tunnel as Raw).credentials = SECRET_MARKER));
    expect(notJson).toContain("sdgate:clusters[0].tunnel.credentials: must be the JSON credentials file");
    expect(notJson).not.toContain(SECRET_MARKER);
  });
});

describe("rollout", () => {
  it("lets a pool replace its pods in place when another cluster or pod serves meanwhile", () => {
    const config = exampleStack((values) => {
      for (const cluster of values.clusters as Raw[]) cluster.rollout = "replace";
    });
    expect(config.clusters.map((c) => c.rollout)).toEqual(["replace", "replace"]);
    const alone = exampleStack((values) => {
      const [cluster] = values.clusters as [Raw];
      values.clusters = [{ ...cluster, rollout: "replace", replicas: { min: 2, max: 8 } }];
    });
    expect(alone.clusters[0]?.rollout).toBe("replace");
  });
});
