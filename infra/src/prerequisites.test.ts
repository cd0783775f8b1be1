import { describe, expect, it } from "vitest";
import { ADD_ON_PREREQUISITES, clusterPrerequisites } from "./prerequisites.ts";
import { installMocks } from "./test-support/pulumi-mocks.ts";
import { exampleStack } from "./test-support/stack-fixture.ts";

installMocks();

type Raw = Record<string, unknown>;

describe("prerequisites", () => {
  it("lists each object the config names instead of asking the program to make it, in the backend's namespace", () => {
    const config = exampleStack((values) => {
      const [cluster] = values.clusters as [Raw];
      cluster.namespace = "gpu";
      const model = cluster.model as Raw;
      delete model.credentials;
      model.credentialsSecretName = "model-reader";
      cluster.imagePullSecrets = ["ghcr-pull"];
      cluster.serviceAccount = { name: "models-irsa" };
      cluster.runtimeClassName = "nvidia";
    });
    const [cluster] = config.clusters;
    if (cluster === undefined) throw new Error("no cluster");
    const named = clusterPrerequisites(cluster, config)
      .filter((p) => !["CustomResourceDefinition", "Namespace"].includes(p.kind))
      .map(({ kind, name, namespace, neededBy }) => ({ kind, name, namespace, neededBy }));
    expect(named).toEqual([
      {
        kind: "StorageClass",
        name: "efs-sc",
        namespace: undefined,
        neededBy: "sdgate:clusters[0].model.storageClassName",
      },
      {
        kind: "Secret",
        name: "model-reader",
        namespace: "gpu",
        neededBy: "sdgate:clusters[0].model.credentialsSecretName",
      },
      {
        kind: "Secret",
        name: "ghcr-pull",
        namespace: "gpu",
        neededBy: "sdgate:clusters[0].imagePullSecrets",
      },
      {
        kind: "ServiceAccount",
        name: "models-irsa",
        namespace: "gpu",
        neededBy: "sdgate:clusters[0].serviceAccount.name",
      },
      {
        kind: "RuntimeClass",
        name: "nvidia",
        namespace: undefined,
        neededBy: "sdgate:clusters[0].runtimeClassName",
      },
    ]);
  });

  it("takes every add-on's CRD or API from the declared list the guide is checked against", () => {
    const declared = ADD_ON_PREREQUISITES.map((p) => `${p.kind} ${p.name}`);
    for (const mode of ["keda", "hpa"]) {
      const config = exampleStack((values) => {
        for (const cluster of values.clusters as Raw[]) cluster.autoscaling = { mode };
      });
      for (const cluster of config.clusters) {
        const addOns = clusterPrerequisites(cluster, config).filter((p) =>
          ["CustomResourceDefinition", "APIService"].includes(p.kind),
        );
        expect(addOns.length).toBeGreaterThanOrEqual(3);
        for (const p of addOns) expect(declared).toContain(`${p.kind} ${p.name}`);
      }
    }
  });

  it("lists nothing for what the program makes: credentials from secrets, a created ServiceAccount, a pull login", () => {
    const config = exampleStack((values) => {
      const [cluster] = values.clusters as [Raw];
      cluster.serviceAccount = {
        create: true,
        annotations: { "iam.gke.io/gcp-service-account": "x@y.iam.gserviceaccount.com" },
      };
      cluster.imagePullCredentials = { server: "ghcr.io", username: "bot", password: "p" };
      values.alerts = {};
    });
    const [cluster] = config.clusters;
    if (cluster === undefined) throw new Error("no cluster");
    expect(clusterPrerequisites(cluster, config).map((p) => `${p.kind} ${p.name}`)).toEqual([
      "CustomResourceDefinition servicemonitors.monitoring.coreos.com",
      "CustomResourceDefinition prometheusrules.monitoring.coreos.com",
      "Namespace monitoring",
      "CustomResourceDefinition scaledobjects.keda.sh",
      "StorageClass efs-sc",
    ]);
  });
});
