import type * as k8s from "@pulumi/kubernetes";
import type { Cluster } from "../config/load-config.ts";
import { BACKEND_PORT, BACKEND_UID } from "./labels.ts";

/** The Secret holding SDGATE_HMAC_KEYS, in each backend namespace. */
export const HMAC_SECRET_NAME = "sdgate-hmac";
export const HMAC_SECRET_KEY = "SDGATE_HMAC_KEYS";

/** Seconds between startup probes; the budget is spread over this many-second tries. */
const STARTUP_PERIOD_SECONDS = 10;
/**
 * preStop sleeps this long before SIGTERM so the Service's endpoints and the tunnel stop sending new
 * requests first; the backend then drains what it already has (SIGTERM handling in backend/src/main.ts).
 */
export const PRE_STOP_SLEEP_SECONDS = 15;
/** Slack after the drain timeout for the process to exit before the kubelet's SIGKILL. */
const EXIT_SLACK_SECONDS = 15;

/** No privileges, no writes outside the emptyDirs: what the pod security "restricted" profile asks. */
export function restrictedSecurityContext(uid: number): k8s.types.input.core.v1.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export interface BackendPodArgs {
  cluster: Cluster;
  /** SDGATE_HMAC_KEYS is read at start, so a new keyring must roll the pods; its ids say when. */
  hmacKeyIds: readonly string[];
  labels: Record<string, string>;
  modelVolume: k8s.types.input.core.v1.Volume;
  modelMount: k8s.types.input.core.v1.VolumeMount;
  modelPath: string;
  initContainers: k8s.types.input.core.v1.Container[];
  /** Secret names, for the backend image, the fetcher's and an image model volume. */
  imagePullSecrets: readonly string[];
  serviceAccountName: string | undefined;
}

/** The grace period covers the preStop sleep, the whole drain, and the process's own exit. */
export function terminationGracePeriodSeconds(cluster: Pick<Cluster, "drainTimeoutSeconds">): number {
  return PRE_STOP_SLEEP_SECONDS + cluster.drainTimeoutSeconds + EXIT_SLACK_SECONDS;
}

/** The backend pod: one process per pod on `gpu.perPod` GPUs of the configured product. */
export function backendPodTemplate(args: BackendPodArgs): k8s.types.input.core.v1.PodTemplateSpec {
  const { cluster } = args;
  const gpus = String(cluster.gpu.perPod);
  const env: k8s.types.input.core.v1.EnvVar[] = [
    // The edge signs each request for the pool's name (the registry's `name`, `GpuBackend.pool`), and
    // the backend accepts only requests signed for this name: the two must be the same.
    { name: "SDGATE_BACKEND_NAME", value: cluster.name },
    { name: "SDGATE_BACKEND_HOST", value: "0.0.0.0" },
    { name: "SDGATE_BACKEND_PORT", value: String(BACKEND_PORT) },
    {
      name: "SDGATE_HMAC_KEYS",
      valueFrom: { secretKeyRef: { name: HMAC_SECRET_NAME, key: HMAC_SECRET_KEY } },
    },
    // The built-in `tiny` model is built at startup; the root filesystem is read-only, so into an emptyDir.
    { name: "SDGATE_MODEL_DIR", value: "/var/lib/sdgate/models" },
    { name: "SDGATE_MODEL_FOLDERS", value: `${cluster.model.id}=${args.modelPath}` },
    { name: "SDGATE_EXECUTION_PROVIDERS", value: cluster.serving.executionProviders },
    { name: "SDGATE_QUEUE_SIZE", value: String(cluster.serving.queueSize) },
    { name: "SDGATE_MAX_BATCH", value: String(cluster.serving.maxBatch) },
    { name: "SDGATE_DRAIN_TIMEOUT_MS", value: String(cluster.drainTimeoutSeconds * 1000) },
    { name: "SDGATE_ACCEPT_V2_SIGNATURES", value: String(cluster.acceptV2Signatures) },
  ];
  return {
    metadata: {
      labels: args.labels,
      annotations: {
        "prometheus.io/path": "/metrics",
        "prometheus.io/port": String(BACKEND_PORT),
        "sdgate.dev/hmac-key-ids": args.hmacKeyIds.join(","),
      },
    },
    spec: {
      nodeSelector: { [cluster.gpu.productLabel]: cluster.gpu.product },
      ...(cluster.runtimeClassName === undefined ? {} : { runtimeClassName: cluster.runtimeClassName }),
      ...(args.serviceAccountName === undefined ? {} : { serviceAccountName: args.serviceAccountName }),
      ...(args.imagePullSecrets.length === 0
        ? {}
        : { imagePullSecrets: args.imagePullSecrets.map((name) => ({ name })) }),
      // GPU node pools are tainted so that only pods asking for GPUs land there (EKS, GKE, AKS defaults).
      tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      terminationGracePeriodSeconds: terminationGracePeriodSeconds(cluster),
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: BACKEND_UID,
        runAsGroup: BACKEND_UID,
        // Lets the non-root init container write into a freshly provisioned model volume.
        fsGroup: BACKEND_UID,
        ...(cluster.model.kind === "pvc" && cluster.model.supplementalGroups.length > 0
          ? { supplementalGroups: cluster.model.supplementalGroups }
          : {}),
        seccompProfile: { type: "RuntimeDefault" },
      },
      initContainers: args.initContainers,
      containers: [
        {
          name: "backend",
          image: cluster.image,
          ports: [{ name: "http", containerPort: BACKEND_PORT }],
          env,
          resources: {
            requests: {
              cpu: String(cluster.resources.cpuCores),
              memory: `${cluster.resources.memoryGiB}Gi`,
              "nvidia.com/gpu": gpus,
            },
            limits: { memory: `${cluster.resources.memoryGiB}Gi`, "nvidia.com/gpu": gpus },
          },
          // /healthz answers as soon as the server listens; /readyz once the models are loaded and warm.
          // The startup probe gives model loading its budget before liveness may restart the pod.
          startupProbe: {
            httpGet: { path: "/readyz", port: "http" },
            periodSeconds: STARTUP_PERIOD_SECONDS,
            timeoutSeconds: 5,
            failureThreshold: Math.ceil(cluster.startupBudgetSeconds / STARTUP_PERIOD_SECONDS),
          },
          readinessProbe: {
            httpGet: { path: "/readyz", port: "http" },
            periodSeconds: 5,
            timeoutSeconds: 3,
            failureThreshold: 2,
          },
          livenessProbe: {
            httpGet: { path: "/healthz", port: "http" },
            periodSeconds: 10,
            timeoutSeconds: 5,
            failureThreshold: 6,
          },
          lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } },
          securityContext: restrictedSecurityContext(BACKEND_UID),
          volumeMounts: [
            args.modelMount,
            { name: "tmp", mountPath: "/tmp" },
            { name: "state", mountPath: "/var/lib/sdgate" },
          ],
        },
      ],
      volumes: [
        args.modelVolume,
        { name: "tmp", emptyDir: { sizeLimit: "2Gi" } },
        { name: "state", emptyDir: { sizeLimit: "1Gi" } },
      ],
    },
  };
}
