import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Model } from "../config/load-config.ts";

export interface ModelVolumeArgs {
  namespace: pulumi.Input<string>;
  model: Model;
  labels: Record<string, string>;
  /** Shared with the backend container: the fetcher needs a writable /tmp under a read-only root. */
  securityContext: k8s.types.input.core.v1.SecurityContext;
  /** The backend's UID, which `volumePermissions: chown` gives the volume to. */
  ownerUid: number;
}

/** Where models are mounted in the backend container; each model in its own folder under it. */
export const MODELS_MOUNT_PATH = "/models";
/** The Secret the program creates from `model.credentials` for the fetcher's env. */
export const MODEL_CREDENTIALS_SECRET_NAME = "sdgate-model-credentials";
/** The pod volume's name, in the backend pods and in the copy Jobs. */
export const MODEL_VOLUME_NAME = "model";
const VOLUME_NAME = MODEL_VOLUME_NAME;
/** Written into a model folder only once it is whole (and, for a version, verified). */
export const MODEL_COMPLETE_MARKER = ".sdgate-complete";

/** Where a registry version lives on the volume: named by its digest, so it is never overwritten. */
export function versionFolder(modelId: string, digest: string): string {
  return `${MODELS_MOUNT_PATH}/${modelId}/${digest}`;
}

/** The PersistentVolumeClaim of a pvc model. */
export function modelClaimName(modelId: string): string {
  return `sdgate-model-${modelId.replace(/[._]/g, "-")}`;
}

/**
 * The operator's model as a volume of the backend pod: either a PVC that an init container fills
 * from the model source (once: later pods find the marker file and start at once), or an OCI image
 * mounted read-only (Kubernetes image volumes, KEP-4639), which the node's image cache shares.
 */
export class ModelVolume extends pulumi.ComponentResource {
  /** The pod volume. */
  readonly volume: k8s.types.input.core.v1.Volume;
  /** The backend container's mount (read-only in both cases). */
  readonly mount: k8s.types.input.core.v1.VolumeMount;
  /** Empty for image volumes. */
  readonly initContainers: k8s.types.input.core.v1.Container[];
  /** The folder the backend serves the model from (SDGATE_MODEL_FOLDERS). */
  readonly modelPath: string;
  readonly claim?: k8s.core.v1.PersistentVolumeClaim;
  readonly credentials?: k8s.core.v1.Secret;
  /** The Secret whose keys are rclone's env (ours or the operator's), if any. */
  readonly credentialsSecretName?: string;

  constructor(name: string, args: ModelVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sdgate:infra:ModelVolume", name, {}, opts);
    const { model } = args;
    this.mount = { name: VOLUME_NAME, mountPath: MODELS_MOUNT_PATH, readOnly: true };

    if (model.kind === "image") {
      // The image's root is the model folder itself.
      this.modelPath = MODELS_MOUNT_PATH;
      this.volume = {
        name: VOLUME_NAME,
        image: { reference: model.reference, pullPolicy: model.pullPolicy },
      };
      this.initContainers = [];
      this.registerOutputs({});
      return;
    }

    // With `sdgate:models` versions, copy Jobs fill the volume (model-version-copy.ts) and the
    // backends load the served version's digest folder; without, the one folder at `source`.
    this.modelPath =
      model.served === undefined
        ? `${MODELS_MOUNT_PATH}/${model.id}`
        : versionFolder(model.id, model.served.digest);
    const claimName = modelClaimName(model.id);
    this.claim = new k8s.core.v1.PersistentVolumeClaim(
      `${name}-claim`,
      {
        metadata: { name: claimName, namespace: args.namespace, labels: args.labels },
        spec: {
          accessModes: [model.accessMode],
          resources: { requests: { storage: `${model.sizeGiB}Gi` } },
          ...(model.storageClassName === undefined ? {} : { storageClassName: model.storageClassName }),
        },
      },
      { parent: this },
    );
    if (model.credentials !== undefined) {
      this.credentials = new k8s.core.v1.Secret(
        `${name}-credentials`,
        {
          metadata: { name: MODEL_CREDENTIALS_SECRET_NAME, namespace: args.namespace, labels: args.labels },
          type: "Opaque",
          stringData: model.credentials,
        },
        { parent: this },
      );
    }
    const credentialsSecret =
      model.credentials === undefined ? model.credentialsSecretName : MODEL_CREDENTIALS_SECRET_NAME;
    if (credentialsSecret !== undefined) this.credentialsSecretName = credentialsSecret;
    this.volume = { name: VOLUME_NAME, persistentVolumeClaim: { claimName } };
    const own = model.volumePermissions === "chown" ? [ownVolume(model.fetcherImage, args.ownerUid)] : [];
    if (model.source === undefined) {
      this.initContainers = own;
      this.registerOutputs({ claim: claimName });
      return;
    }
    this.initContainers = [
      ...own,
      {
        name: "fetch-model",
        image: model.fetcherImage,
        command: ["/bin/sh", "-c", FETCH_SCRIPT],
        env: [
          { name: "MODEL_SOURCE", value: rcloneRemote(model.source, model.region) },
          { name: "MODEL_DEST", value: this.modelPath },
          { name: "HOME", value: "/tmp" },
          // On-the-fly remotes need no config file; this stops rclone looking for one.
          { name: "RCLONE_CONFIG", value: "/dev/null" },
        ],
        ...(credentialsSecret === undefined ? {} : { envFrom: [{ secretRef: { name: credentialsSecret } }] }),
        volumeMounts: [
          { name: VOLUME_NAME, mountPath: MODELS_MOUNT_PATH },
          { name: "tmp", mountPath: "/tmp" },
        ],
        resources: { requests: { cpu: "1", memory: "512Mi" }, limits: { memory: "2Gi" } },
        securityContext: args.securityContext,
      },
    ];
    this.registerOutputs({ claim: claimName });
  }
}

/**
 * NFS-like volumes ignore fsGroup, so their top folder stays root's; this step, root with only
 * CAP_CHOWN, gives it to the backend's UID once (later pods find it theirs and change nothing).
 */
export function ownVolume(image: string, uid: number): k8s.types.input.core.v1.Container {
  return {
    name: "own-model-volume",
    image,
    command: ["/bin/sh", "-c", `chown ${uid}:${uid} ${MODELS_MOUNT_PATH}`],
    volumeMounts: [{ name: VOLUME_NAME, mountPath: MODELS_MOUNT_PATH }],
    resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"], add: ["CHOWN"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
  };
}

/**
 * Copies into a private folder and renames it into place, so a pod that dies mid-copy never leaves a
 * half model that the next pod would serve; when two pods race, the second one's rename is skipped.
 */
const FETCH_SCRIPT = `set -eu
if [ -f "$MODEL_DEST/${MODEL_COMPLETE_MARKER}" ]; then echo "model already at $MODEL_DEST"; exit 0; fi
partial="$(dirname "$MODEL_DEST")/.partial-$HOSTNAME"
rm -rf "$partial"
rclone copy --transfers 8 --checkers 16 "$MODEL_SOURCE" "$partial"
touch "$partial/${MODEL_COMPLETE_MARKER}"
if [ -e "$MODEL_DEST" ]; then rm -rf "$partial"; else mv "$partial" "$MODEL_DEST"; fi
echo "model copied to $MODEL_DEST"`;

/**
 * rclone's on-the-fly remote syntax (`:backend,option=value:path`), credentials from the env. S3
 * needs the bucket's region: without one rclone signs for us-east-1 and other regions refuse it.
 */
export function rcloneRemote(source: string, region?: string): string {
  const url = new URL(source);
  const path = `${url.host}${url.pathname}`.replace(/\/+$/, "");
  switch (url.protocol) {
    case "s3:":
      return `:s3,provider=AWS,env_auth=true${region === undefined ? "" : `,region=${region}`}:${path}`;
    case "gs:":
      return `:gcs,env_auth=true:${path}`;
    default:
      return `:http,url='${url.origin}':${url.pathname.replace(/^\/+/, "")}`;
  }
}
