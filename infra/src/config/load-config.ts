import * as pulumi from "@pulumi/pulumi";
import type { RegistrySettings } from "@sdgate/shared";
import type { z } from "zod";
import type { AccessConfig } from "./access-schema.ts";
import {
  clusterModelVersions,
  type ModelVersion,
  type ModelVersionsConfig,
  modelVersionProblems,
} from "./model-versions-schema.ts";
import {
  type AlertsConfig,
  type ClusterConfig,
  type ModelConfig,
  type MonitoringConfig,
  type RetentionConfig,
  STRUCTURED_KEYS,
  stackConfigSchemas,
} from "./schema.ts";

/** A config problem; the message names every bad key (`sdgate:clusters[1].gpu.perPod`), never a value. */
export class StackConfigError extends Error {
  override readonly name = "StackConfigError";
}

type PvcModelConfig = Extract<ModelConfig, { kind: "pvc" }>;
/**
 * A model with the fetcher's credentials, if any, wrapped as a secret; a pvc model also carries its
 * `sdgate:models` versions (none: the one unversioned folder from `source`) and the one it serves.
 */
export type Model =
  | Exclude<ModelConfig, PvcModelConfig>
  | (Omit<PvcModelConfig, "credentials"> & {
      credentials?: pulumi.Output<Record<string, string>>;
      versions: ModelVersion[];
      served?: ModelVersion;
    });

/** A cluster with its secrets wrapped, so nothing downstream can leak them into a plain output. */
export interface Cluster
  extends Omit<ClusterConfig, "kubeconfig" | "tunnel" | "image" | "model" | "imagePullCredentials"> {
  kubeconfig: pulumi.Output<string>;
  imagePullCredentials?: Omit<NonNullable<ClusterConfig["imagePullCredentials"]>, "password"> & {
    password: pulumi.Output<string>;
  };
  image: string;
  model: Model;
  tunnel: Omit<ClusterConfig["tunnel"], "credentials"> & {
    /** Public: it names the tunnel's `<id>.cfargotunnel.com` DNS target. */
    id: string;
    credentials: pulumi.Output<string>;
  };
}

export interface Receiver {
  name: string;
  kind: "slack" | "pagerduty" | "webhook";
  slackChannel?: string;
  /** The receiver's URL or routing key. */
  secret: pulumi.Output<string>;
  minSeverity: "warning" | "critical";
}

export interface StackConfig {
  clusters: Cluster[];
  hmacKeys: pulumi.Output<string>;
  /** The keyring's key ids in order (public: they name keys, not secrets); a change rolls the pods. */
  hmacKeyIds: string[];
  registry: RegistrySettings;
  monitoring: MonitoringConfig;
  alerts: Omit<AlertsConfig, "receivers"> & { receivers: Receiver[] };
  retention: RetentionConfig;
  /** Cloudflare Access in front of the edge's browser paths; absent, no Access resource is made. */
  access?: AccessConfig;
  /** `sdgate:models`: the registry versions the program puts on the clusters' model volumes. */
  models: ModelVersionsConfig[];
}

/** Where raw values come from: `new pulumi.Config("sdgate")` in the program, a map in tests. */
export interface ConfigSource {
  /** The raw string of `key` (JSON for objects and lists), or `undefined` when unset. */
  get(key: string): string | undefined;
}

type Schemas = typeof stackConfigSchemas;
type Parsed = { [K in keyof Schemas]: z.output<Schemas[K]> };

function keyPath(namespace: string, key: string, path: readonly PropertyKey[]): string {
  let text = `${namespace}:${key}`;
  for (const part of path) text += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  return text;
}

/** A bad key in a record (`model.credentials`) says why, not only zod's "Invalid key in record". */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_key") return issue.issues[0]?.message ?? issue.message;
  return issue.message;
}

/**
 * Reads and checks every key at once, so one `pulumi up` reports all the problems together.
 *
 * @example
 * const config = loadStackConfig(new pulumi.Config("sdgate"));
 */
export function loadStackConfig(source: ConfigSource, namespace = "sdgate"): StackConfig {
  const problems: string[] = [];
  const parsed: Partial<Record<keyof Schemas, unknown>> = {};
  for (const key of Object.keys(stackConfigSchemas) as (keyof Schemas)[]) {
    const raw = source.get(key);
    let value: unknown = raw;
    if (raw !== undefined && STRUCTURED_KEYS.has(key)) {
      try {
        value = JSON.parse(raw);
      } catch {
        problems.push(
          `${namespace}:${key}: must be a structured value (set it with --path or in the stack file)`,
        );
        continue;
      }
    }
    if (value === undefined && (key === "clusters" || key === "hmacKeys")) {
      const how =
        key === "hmacKeys"
          ? "pulumi config set --secret hmacKeys 'k1:<32+ chars>'"
          : "see infra/Pulumi.example.yaml";
      problems.push(`${namespace}:${key}: is required (${how})`);
      continue;
    }
    const result = stackConfigSchemas[key].safeParse(value);
    if (result.success) parsed[key] = result.data;
    else {
      for (const issue of result.error.issues)
        problems.push(`${keyPath(namespace, key, issue.path)}: ${issueMessage(issue)}`);
    }
  }
  const config = parsed as Parsed;
  if (problems.length === 0) {
    config.clusters.forEach((cluster, index) => {
      if (cluster.image === undefined && config.image === undefined) {
        problems.push(
          `${namespace}:clusters[${index}].image: is required when ${namespace}:image is not set`,
        );
      }
    });
    problems.push(...modelVersionProblems(config.clusters, config.models, namespace));
  }
  if (problems.length > 0) {
    throw new StackConfigError(`Invalid stack configuration:\n  ${problems.join("\n  ")}`);
  }
  return {
    clusters: config.clusters.map((cluster) => wrapCluster(cluster, config.image, config.models)),
    hmacKeys: pulumi.secret(config.hmacKeys),
    hmacKeyIds: config.hmacKeys.split(",").map((entry) => entry.slice(0, entry.indexOf(":")).trim()),
    registry: config.registry,
    monitoring: config.monitoring,
    alerts: {
      queueSaturationRatio: config.alerts.queueSaturationRatio,
      errorRatio: config.alerts.errorRatio,
      gpuMemoryRatio: config.alerts.gpuMemoryRatio,
      receivers: config.alerts.receivers.map(wrapReceiver),
    },
    retention: config.retention,
    ...(config.access === undefined ? {} : { access: config.access }),
    models: config.models,
  };
}

function wrapCluster(
  cluster: ClusterConfig,
  defaultImage: string | undefined,
  models: readonly ModelVersionsConfig[],
): Cluster {
  const { kubeconfig, tunnel, image, model, imagePullCredentials: pull, ...rest } = cluster;
  const { credentials, ...tunnelRest } = tunnel;
  return {
    ...rest,
    ...(pull === undefined
      ? {}
      : { imagePullCredentials: { ...pull, password: pulumi.secret(pull.password) } }),
    model: wrapModel(model, models),
    // Checked above: one of the two is set.
    image: image ?? defaultImage ?? "",
    kubeconfig: pulumi.secret(kubeconfig),
    tunnel: { ...tunnelRest, id: credentials.tunnelId, credentials: pulumi.secret(credentials.json) },
  };
}

function wrapModel(model: ModelConfig, models: readonly ModelVersionsConfig[]): Model {
  if (model.kind === "image") return model;
  const { credentials, ...rest } = model;
  const { versions, served } = clusterModelVersions(model, models);
  return {
    ...rest,
    versions,
    ...(served === undefined ? {} : { served }),
    ...(credentials === undefined ? {} : { credentials: pulumi.secret(credentials) }),
  };
}

function wrapReceiver(receiver: AlertsConfig["receivers"][number]): Receiver {
  const base = { name: receiver.name, minSeverity: receiver.minSeverity };
  if (receiver.slackWebhookUrl !== undefined) {
    return {
      ...base,
      kind: "slack",
      secret: pulumi.secret(receiver.slackWebhookUrl),
      ...(receiver.slackChannel === undefined ? {} : { slackChannel: receiver.slackChannel }),
    };
  }
  if (receiver.pagerdutyRoutingKey !== undefined) {
    return { ...base, kind: "pagerduty", secret: pulumi.secret(receiver.pagerdutyRoutingKey) };
  }
  // The schema guarantees exactly one of the three is set.
  return { ...base, kind: "webhook", secret: pulumi.secret(receiver.webhookUrl ?? "") };
}
