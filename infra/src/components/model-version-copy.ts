import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ModelVersion } from "../config/model-versions-schema.ts";
import {
  MODEL_COMPLETE_MARKER,
  MODEL_VOLUME_NAME,
  MODELS_MOUNT_PATH,
  modelClaimName,
  ownVolume,
  rcloneRemote,
  versionFolder,
} from "./model-volume.ts";
import { minutes } from "./startup-budget.ts";

export interface ModelVersionCopyArgs {
  namespace: pulumi.Input<string>;
  /** The cluster, for the labels. */
  cluster: string;
  modelId: string;
  version: ModelVersion;
  /** The backend image: the verification runs the backend's own digest code. */
  backendImage: string;
  fetcherImage: string;
  /** The Secret whose keys are rclone's env, as for the backends' model. */
  credentialsSecretName: string | undefined;
  /** The backends' ServiceAccount (a cloud identity rclone may use) and pull Secrets. */
  serviceAccountName: string | undefined;
  imagePullSecrets: readonly string[];
  securityContext: k8s.types.input.core.v1.SecurityContext;
  /** The backend's UID: the folder is written as it, and `chown` gives it the volume. */
  uid: number;
  volumePermissions: "fsGroup" | "chown";
  supplementalGroups: readonly number[];
  /** Where every node is tainted, the taints the Job may sit on (the tunnel's). */
  tolerations: k8s.types.input.core.v1.Toleration[];
  /** How long Pulumi waits for the copy and its check. */
  timeoutSeconds: number;
}

/** In the backend image, whose WORKDIR is /app/backend (backend/Dockerfile). */
export const VERIFY_COMMAND = "node src/cli/verify-model.ts";
/** A failed pod is retried this often; each retry resumes the copy (rclone skips what is whole). */
const BACKOFF_LIMIT = 3;

/**
 * Copies the version's files next to their final folder, where no backend looks: a retried pod
 * resumes the same partial folder.
 */
const COPY_SCRIPT = `set -eu
if [ -f "$MODEL_DEST/${MODEL_COMPLETE_MARKER}" ]; then echo "already at $MODEL_DEST"; exit 0; fi
rclone sync --transfers 8 --checkers 16 "$MODEL_SOURCE" "$MODEL_PARTIAL"
echo "copied to $MODEL_PARTIAL"`;

/**
 * Only files whose digest is the version's are marked complete and renamed into the digest folder,
 * in one rename on the same volume, so a backend finds the whole version or none; a mismatch throws
 * the copy away so that the retry starts afresh.
 */
const VERIFY_SCRIPT = `set -eu
if [ -f "$MODEL_DEST/${MODEL_COMPLETE_MARKER}" ]; then echo "already at $MODEL_DEST"; exit 0; fi
if [ -e "$MODEL_DEST" ]; then echo "$MODEL_DEST exists but is not marked complete: remove it" >&2; exit 1; fi
if ! ${VERIFY_COMMAND} "$MODEL_PARTIAL" "$MODEL_DIGEST"; then rm -rf "$MODEL_PARTIAL"; exit 1; fi
touch "$MODEL_PARTIAL/${MODEL_COMPLETE_MARKER}"
mv "$MODEL_PARTIAL" "$MODEL_DEST"
echo "$MODEL_VERSION verified and in place at $MODEL_DEST"`;

/** The copy Job's name: one per digest (a version's files never change), 63 characters at most. */
export function copyJobName(digest: string): string {
  return `sdgate-model-${digest.slice(0, 16)}`;
}

/** Labels of the copy Jobs' pods: never the backends' own, which the Deployment and Service select. */
export function copyJobLabels(cluster: string, modelId: string, version: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "sdgate-model-copy",
    "app.kubernetes.io/instance": cluster,
    "app.kubernetes.io/part-of": "sdgate",
    "sdgate.dev/model": modelId,
    "sdgate.dev/model-version": version,
  };
}

/**
 * One registry version on one cluster's model volume: a Job that copies it from its source into
 * `/models/<id>/<digest>` and checks the files against the digest with the backend image's
 * `verify-model`, marking the folder complete only then. Pulumi waits for the Job to complete, and
 * the backends, which mount the volume read-only, start on the new folder only after it.
 */
export class ModelVersionCopy extends pulumi.ComponentResource {
  readonly job: k8s.batch.v1.Job;
  /** Where the backends find the version. */
  readonly folder: string;

  constructor(name: string, args: ModelVersionCopyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sdgate:infra:ModelVersionCopy", name, {}, opts);
    const { version } = args;
    this.folder = versionFolder(args.modelId, version.digest);
    const labels = copyJobLabels(args.cluster, args.modelId, version.version);
    const env = [
      { name: "MODEL_VERSION", value: `${args.modelId}@${version.version}` },
      { name: "MODEL_DIGEST", value: version.digest },
      { name: "MODEL_DEST", value: this.folder },
      { name: "MODEL_PARTIAL", value: `${MODELS_MOUNT_PATH}/${args.modelId}/.partial-${version.digest}` },
    ];
    // Read-write only here: the backends' mount of the same claim is read-only.
    const volumeMounts = [
      { name: MODEL_VOLUME_NAME, mountPath: MODELS_MOUNT_PATH },
      { name: "tmp", mountPath: "/tmp" },
    ];
    const copy: k8s.types.input.core.v1.Container = {
      name: "copy",
      image: args.fetcherImage,
      command: ["/bin/sh", "-c", COPY_SCRIPT],
      env: [
        ...env,
        { name: "MODEL_SOURCE", value: rcloneRemote(version.source, version.region) },
        { name: "HOME", value: "/tmp" },
        // On-the-fly remotes need no config file; this stops rclone looking for one.
        { name: "RCLONE_CONFIG", value: "/dev/null" },
      ],
      ...(args.credentialsSecretName === undefined
        ? {}
        : { envFrom: [{ secretRef: { name: args.credentialsSecretName } }] }),
      volumeMounts,
      resources: { requests: { cpu: "1", memory: "512Mi" }, limits: { memory: "2Gi" } },
      securityContext: args.securityContext,
    };
    const verify: k8s.types.input.core.v1.Container = {
      name: "verify",
      image: args.backendImage,
      command: ["/bin/sh", "-c", VERIFY_SCRIPT],
      env,
      volumeMounts,
      resources: { requests: { cpu: "1", memory: "256Mi" }, limits: { memory: "1Gi" } },
      securityContext: args.securityContext,
    };
    this.job = new k8s.batch.v1.Job(
      name,
      {
        metadata: {
          name: copyJobName(version.digest),
          namespace: args.namespace,
          labels,
          annotations: {
            "sdgate.dev/model-digest": version.digest,
            "sdgate.dev/model-source": version.source,
          },
        },
        spec: {
          backoffLimit: BACKOFF_LIMIT,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              ...(args.serviceAccountName === undefined
                ? {}
                : { serviceAccountName: args.serviceAccountName }),
              ...(args.imagePullSecrets.length === 0
                ? {}
                : { imagePullSecrets: args.imagePullSecrets.map((secret) => ({ name: secret })) }),
              ...(args.tolerations.length === 0 ? {} : { tolerations: args.tolerations }),
              securityContext: {
                runAsNonRoot: true,
                runAsUser: args.uid,
                runAsGroup: args.uid,
                fsGroup: args.uid,
                ...(args.supplementalGroups.length === 0
                  ? {}
                  : { supplementalGroups: [...args.supplementalGroups] }),
                seccompProfile: { type: "RuntimeDefault" },
              },
              initContainers: [
                ...(args.volumePermissions === "chown" ? [ownVolume(args.fetcherImage, args.uid)] : []),
                copy,
              ],
              containers: [verify],
              volumes: [
                {
                  name: MODEL_VOLUME_NAME,
                  persistentVolumeClaim: { claimName: modelClaimName(args.modelId) },
                },
                { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
              ],
            },
          },
        },
      },
      {
        parent: this,
        customTimeouts: { create: minutes(args.timeoutSeconds), update: minutes(args.timeoutSeconds) },
      },
    );
    this.registerOutputs({ job: this.job.metadata.name, folder: this.folder });
  }
}
