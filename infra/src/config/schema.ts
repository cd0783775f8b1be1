import {
  backendSchema,
  registrySettingsSchema as contractRegistrySettings,
  parseKeyringSpec,
  type RegistrySettings,
} from "@sdgate/shared";
import { z } from "zod";
import { accessSchema } from "./access-schema.ts";
import { dnsLabel, hostname } from "./formats.ts";
import { modelSchema, refinePvcModel } from "./model-schema.ts";
import { modelsSchema } from "./model-versions-schema.ts";
import { podAccessShape, refinePodAccess } from "./pod-access-schema.ts";

export type { ModelConfig } from "./model-schema.ts";

/**
 * The stack's configuration, one zod schema per Pulumi config key (`sdgate:<key>`). Values that are
 * secrets (kubeconfigs, tunnel credentials, HMAC keys, alert receiver URLs) are plain strings here and
 * are wrapped in `pulumi.secret` by `load-config.ts` before anything else sees them.
 */

/** A free label for the edge (`aws`, `gcp`, `onprem`); the edge's registry allows 1-64 characters. */
const label = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, '.', '_' or '-'");

/** `cloudflared tunnel create` writes this file; its TunnelID is public, the TunnelSecret is not. */
const tunnelCredentials = z.string().transform((text, ctx) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    ctx.addIssue({
      code: "custom",
      message: "must be the JSON credentials file `cloudflared tunnel create` writes",
    });
    return z.NEVER;
  }
  const shape = z.object({
    AccountTag: z.string().min(1),
    TunnelSecret: z.string().min(1),
    TunnelID: z.uuid(),
  });
  const result = shape.safeParse(parsed);
  if (!result.success) {
    // Name the missing fields, never the values: this is a secret.
    const fields = result.error.issues.map((issue) => issue.path.join(".")).join(", ");
    ctx.addIssue({
      code: "custom",
      message: `must hold AccountTag, TunnelSecret and a TunnelID UUID (bad: ${fields})`,
    });
    return z.NEVER;
  }
  return { json: text, tunnelId: result.data.TunnelID };
});

/** A pod toleration, as Kubernetes' core/v1 Toleration. */
const tolerationSchema = z.strictObject({
  key: z.string().min(1).optional(),
  operator: z.enum(["Exists", "Equal"]).default("Equal"),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
  tolerationSeconds: z.number().int().min(0).optional(),
});

const clusterSchema = z
  .strictObject({
    /** Names the pool in the edge's registry (and `X-Backend`) and prefixes this cluster's resources. */
    name: dnsLabel,
    provider: label,
    region: label,
    /** The cluster's kubeconfig; a secret (`pulumi config set --secret --path 'clusters[0].kubeconfig'`). */
    kubeconfig: z.string().min(1, "must be the cluster's kubeconfig"),
    /** Optional context inside the kubeconfig. */
    context: z.string().min(1).optional(),
    namespace: dnsLabel.default("sdgate"),
    image: z.string().min(1).optional(),
    gpu: z.strictObject({
      /** Value of the node label below, e.g. `NVIDIA-H100-80GB-HBM3` (GPU feature discovery sets it). */
      product: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,63}$/, "must be a node label value such as NVIDIA-H100-80GB-HBM3"),
      productLabel: z.string().min(1).default("nvidia.com/gpu.product"),
      /** One backend process drives its GPUs as one device set; most deployments want 1. */
      perPod: z.number().int().min(1).max(8).default(1),
    }),
    replicas: z.strictObject({
      // Scaling on queue depth cannot start from zero pods: with none there is no queue to measure.
      min: z.number().int().min(1, "must be at least 1 (queue depth cannot wake a backend from zero)"),
      max: z.number().int().min(1).max(1000),
    }),
    autoscaling: z
      .strictObject({
        /** `keda` (ScaledObject), `hpa` (needs prometheus-adapter serving `sdgate_queue_depth`), `none`. */
        mode: z.enum(["keda", "hpa", "none"]).default("keda"),
        /** Waiting jobs per pod above which another pod is added. */
        queueDepthPerPod: z
          .number()
          .min(0.001)
          .max(1000)
          .multipleOf(0.001, "must have at most three decimals (KEDA reads it as a plain decimal)")
          .default(4),
        /** A GPU pod is slow to start and expensive to churn: wait this long before scaling down. */
        scaleDownStabilizationSeconds: z.number().int().min(0).max(7200).default(600),
      })
      .prefault({}),
    model: modelSchema,
    tunnel: z.strictObject({
      /** The public hostname routed to this cluster (`cloudflared tunnel route dns …`). */
      hostname,
      credentials: tunnelCredentials,
      replicas: z.number().int().min(1).max(10).default(2),
      image: z.string().min(1).default("cloudflare/cloudflared:2025.11.1"),
      /** Where every node is tainted (a GPU-only cluster, dedicated pools), the taints cloudflared may sit on. */
      tolerations: z.array(tolerationSchema).default([]),
    }),
    /** This cluster's pool in the edge's registry, with its bounds. */
    edge: z
      .strictObject({
        /** Lower is tried first by the edge. */
        priority: backendSchema.shape.priority.default(0),
        weight: backendSchema.shape.weight,
        near: backendSchema.shape.near,
      })
      .prefault({}),
    resources: z
      .strictObject({
        cpuCores: z.number().gt(0).max(256).default(4),
        memoryGiB: z.number().gt(0).max(4096).default(32),
      })
      .prefault({}),
    serving: z
      .strictObject({
        queueSize: z.number().int().min(1).max(100_000).default(32),
        maxBatch: z.number().int().min(1).max(64).default(4),
        /**
         * SDGATE_EXECUTION_PROVIDERS: onnxruntime's providers in order, with options. The device loop
         * (latents kept on the GPU, CUDA graphs) is `cuda:device_loop=1,enable_cuda_graph=1,prefer_nhwc=1,cpu`;
         * the backend checks every option when it loads its models.
         */
        executionProviders: z
          .string()
          .regex(/^[a-z][a-z0-9_-]*(:[^,]+)?(,[^,]+)*$/i, "a comma list such as cuda:device_loop=1,cpu")
          .default("cuda,cpu"),
      })
      .prefault({}),
    /**
     * `surge` (a new pod is ready before an old one stops; needs a spare GPU) or `replace` (an old pod
     * stops first; the pool is a pod short meanwhile): components/rollout-strategy.ts.
     */
    rollout: z.enum(["surge", "replace"]).default("surge"),
    /** How long the startup probe waits for the models to load and warm before the pod is restarted. */
    startupBudgetSeconds: z.number().int().min(30).max(7200).default(1200),
    /**
     * How long bringing up a GPU node may take (cluster autoscaler or Karpenter, then the driver);
     * with the image pull, the model copy and startupBudgetSeconds it sets the rollout's timeouts.
     */
    nodeScaleUpSeconds: z.number().int().min(0).max(7200).default(600),
    /** How long pulling the multi-GB backend image (and an image model volume) onto a new node may take. */
    imagePullSeconds: z.number().int().min(0).max(7200).default(600),
    /** How long SIGTERM may take to finish queued and running jobs (SDGATE_DRAIN_TIMEOUT_MS). */
    drainTimeoutSeconds: z.number().int().min(0).max(3600).default(120),
    /**
     * Also accept the edge's older v2 signatures, which name no backend
     * (SDGATE_ACCEPT_V2_SIGNATURES): only while an edge that predates v3 still runs, during an upgrade.
     */
    acceptV2Signatures: z.boolean().default(false),
    ...podAccessShape,
  })
  .superRefine((cluster, ctx) => {
    refinePodAccess(cluster, ctx);
    if (cluster.replicas.max < cluster.replicas.min) {
      ctx.addIssue({ code: "custom", path: ["replicas", "max"], message: "must be at least replicas.min" });
    }
    if (cluster.model.kind === "pvc") refinePvcModel(cluster.model, ctx);
    if (
      cluster.model.kind === "pvc" &&
      cluster.model.accessMode === "ReadWriteOnce" &&
      cluster.replicas.max > 1
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["model", "accessMode"],
        message:
          "ReadWriteOnce cannot be mounted by pods on several GPU nodes; use ReadWriteMany or replicas.max 1",
      });
    }
  });
export type ClusterConfig = z.output<typeof clusterSchema>;

export const clustersSchema = z
  .array(clusterSchema)
  .min(1, "must list at least one cluster")
  .superRefine((clusters, ctx) => {
    const [only] = clusters;
    if (clusters.length === 1 && only?.rollout === "replace" && only.replicas.min === 1) {
      ctx.addIssue({
        code: "custom",
        path: [0, "rollout"],
        message:
          "replace would stop the only backend pod of the only cluster on every rollout; use surge, replicas.min 2 or another cluster",
      });
    }
    const seen = new Map<string, number>();
    clusters.forEach((cluster, index) => {
      if (seen.has(cluster.name)) {
        ctx.addIssue({ code: "custom", path: [index, "name"], message: `'${cluster.name}' is used twice` });
      }
      seen.set(cluster.name, index);
    });
    const hostnames = new Set<string>();
    clusters.forEach((cluster, index) => {
      if (hostnames.has(cluster.tunnel.hostname)) {
        ctx.addIssue({
          code: "custom",
          path: [index, "tunnel", "hostname"],
          message: "is used by another cluster",
        });
      }
      hostnames.add(cluster.tunnel.hostname);
    });
  });

/** `id:secret[,id:secret]` exactly as the edge and the backends read SDGATE_HMAC_KEYS. */
export const hmacKeysSchema = z.string().superRefine((spec, ctx) => {
  const parsed = parseKeyringSpec(spec);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error });
});

/**
 * `sdgate:registry`, the registry-wide settings: checked by the contract's schema but passed on as
 * written, so a setting left out takes the default of the edge that reads it.
 */
export const registrySettingsSchema = z
  .custom<RegistrySettings>()
  .superRefine((settings, ctx) => {
    const result = contractRegistrySettings.safeParse(settings);
    if (result.success) return;
    for (const issue of result.error.issues) {
      ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    }
  })
  .prefault({});

export const monitoringSchema = z
  .strictObject({
    /** Where Prometheus and Grafana run (kube-prometheus-stack's namespace). */
    namespace: dnsLabel.default("monitoring"),
    /** KEDA's Prometheus trigger queries this. */
    prometheusUrl: z.url().default("http://prometheus-operated.monitoring.svc:9090"),
    /** kube-prometheus-stack picks up ServiceMonitors and rules by its release label. */
    selectorLabels: z.record(z.string(), z.string()).default({ release: "kube-prometheus-stack" }),
    /** The Prometheus pods, admitted to scrape `/metrics` through the NetworkPolicy. */
    prometheusPodLabels: z.record(z.string(), z.string()).default({ "app.kubernetes.io/name": "prometheus" }),
    /** Grafana's dashboard sidecar loads ConfigMaps with this label. */
    dashboardLabel: z.record(z.string(), z.string()).default({ grafana_dashboard: "1" }),
    /**
     * dcgm-exporter labels GPU metrics with the pod's namespace; scraped through a ServiceMonitor
     * without honorLabels, Prometheus renames it `exported_namespace`.
     */
    gpuNamespaceLabel: z.string().min(1).default("exported_namespace"),
  })
  .prefault({});
export type MonitoringConfig = z.output<typeof monitoringSchema>;

const receiverSchema = z
  .strictObject({
    name: dnsLabel,
    /** Secret: the Slack incoming-webhook URL. */
    slackWebhookUrl: z.url().optional(),
    slackChannel: z.string().min(1).optional(),
    /** Secret: a PagerDuty Events API v2 routing key. */
    pagerdutyRoutingKey: z.string().min(1).optional(),
    /** Secret: any webhook receiver (Opsgenie, a chat bridge). */
    webhookUrl: z.url().optional(),
    /** Only alerts at or above this severity reach the receiver. */
    minSeverity: z.enum(["warning", "critical"]).default("warning"),
  })
  .refine(
    (r) => [r.slackWebhookUrl, r.pagerdutyRoutingKey, r.webhookUrl].filter(Boolean).length === 1,
    "must set exactly one of slackWebhookUrl, pagerdutyRoutingKey, webhookUrl",
  );
export type ReceiverConfig = z.output<typeof receiverSchema>;

export const alertsSchema = z
  .strictObject({
    receivers: z.array(receiverSchema).default([]),
    /** Queue depth over queue size, sustained, that counts as saturated. */
    queueSaturationRatio: z.number().gt(0).max(1).default(0.8),
    /** Share of 5xx answers that pages. */
    errorRatio: z.number().gt(0).max(1).default(0.05),
    /** GPU framebuffer used over total. */
    gpuMemoryRatio: z.number().gt(0).max(1).default(0.95),
  })
  .prefault({});
export type AlertsConfig = z.output<typeof alertsSchema>;

/**
 * How long the edge keeps what it stores (`sdgate:retention`). One setting for both sides of each
 * fact: `npm run deploy:edge` sets R2's lifecycle rule and the edge's SDGATE_*_RETENTION_* vars from
 * it, so the coalescers' index and R2 forget a cached image together. Bounds as the edge checks them.
 */
export const retentionSchema = z
  .strictObject({
    /** Replay-cache and `url` images in R2 (`img/`, `gen/`), in days after they were written. */
    cacheDays: z.number().int().min(1).max(3650).default(30),
    /** An async job, its events and its own images, in hours after it was created. */
    jobHours: z
      .number()
      .int()
      .min(1)
      .max(3650 * 24)
      .default(24),
    /** Audit rows, pruned behind a checkpoint; 0 keeps every row. Over a year keeps a year's usage whole. */
    auditDays: z.number().int().min(0).max(36500).default(400),
  })
  .superRefine((retention, ctx) => {
    if (retention.jobHours > retention.cacheDays * 24) {
      ctx.addIssue({
        code: "custom",
        path: ["jobHours"],
        message: "must be at most cacheDays × 24: R2 expires a job's images with the cache's",
      });
    }
  })
  .prefault({});
export type RetentionConfig = z.output<typeof retentionSchema>;

/** Every config key the program reads, with its schema; `image` is the default for clusters without one. */
export const stackConfigSchemas = {
  clusters: clustersSchema,
  hmacKeys: hmacKeysSchema,
  image: z.string().min(1).optional(),
  registry: registrySettingsSchema,
  monitoring: monitoringSchema,
  alerts: alertsSchema,
  retention: retentionSchema,
  access: accessSchema,
  models: modelsSchema,
} as const;

/** Keys whose value is a JSON object or list (`pulumi config set --path` stores those as JSON). */
export const STRUCTURED_KEYS = new Set<keyof typeof stackConfigSchemas>([
  "clusters",
  "registry",
  "monitoring",
  "alerts",
  "retention",
  "access",
  "models",
]);
