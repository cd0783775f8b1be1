import { MODEL_ARCHITECTURES, versionLabelSchema } from "@sdgate/shared";
import { z } from "zod";

/** A lowercase model id, as the registry and `model` in requests spell it. */
export const modelId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be a lowercase model id");

/** `s3://bucket/prefix`, `gs://bucket/prefix` or an `https://` folder URL (an ONNX export folder). */
export const modelSource = z
  .string()
  .regex(/^(s3|gs):\/\/[^/\s]+(\/\S*)?$|^https:\/\/\S+$/, "must be an s3://, gs:// or https:// URL");

/** An s3:// bucket's region (`auto` for Cloudflare R2 and most S3-compatible stores). */
export const bucketRegion = z.string().regex(/^[a-z0-9-]{1,32}$/, "must be a region such as us-east-1");

/**
 * Whether `region` goes with `source`: rclone signs S3 requests for us-east-1 without one, which
 * other regions refuse; other sources have no region.
 */
export function refineSourceRegion(
  at: { source?: string | undefined; region?: string | undefined },
  path: PropertyKey[],
  ctx: z.RefinementCtx,
): void {
  const s3 = at.source?.startsWith("s3://") === true;
  if (s3 && at.region === undefined) {
    ctx.addIssue({
      code: "custom",
      path: [...path, "region"],
      message: "is required for an s3:// source: the bucket's region, e.g. us-east-1 (auto for R2)",
    });
  }
  if (!s3 && at.region !== undefined) {
    ctx.addIssue({ code: "custom", path: [...path, "region"], message: "applies only to s3:// sources" });
  }
}

/**
 * What the model is built like (`sdxl` for SDXL and its variants; default `sd1`): the edge's
 * `SDGATE_MODELS` takes it for the model's native default size, resolution buckets and GPU rate.
 */
const architecture = z.enum(MODEL_ARCHITECTURES).optional();

/** The model a cluster serves and how its volume is filled: `sdgate:clusters[].model`. */
export const modelSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    /** A PersistentVolumeClaim that an init container fills from `source` once; later pods reuse it. */
    kind: z.literal("pvc"),
    /** The model id the backend serves it as (`model` in requests). */
    id: modelId,
    architecture,
    /**
     * Where the one unversioned model folder comes from; left out when `sdgate:models` lists versions
     * of `id`, which copy Jobs put on the volume (model-version-copy.ts).
     */
    source: modelSource.optional(),
    /** With `sdgate:models` versions: the version this cluster serves instead of that list's `serve`. */
    serve: versionLabelSchema.optional(),
    sizeGiB: z.number().int().min(1).max(10_000).default(20),
    storageClassName: z.string().min(1).optional(),
    /** GPU pods land on different nodes, so the volume must be mountable by many nodes at once. */
    accessMode: z.enum(["ReadWriteMany", "ReadWriteOnce"]).default("ReadWriteMany"),
    /**
     * Secret: the fetcher's env (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, RCLONE_S3_ENDPOINT…), set
     * with `pulumi config set --secret --path 'clusters[0].model.credentials.AWS_ACCESS_KEY_ID'`; the
     * program puts it in the Secret MODEL_CREDENTIALS_SECRET_NAME.
     */
    credentials: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"),
        z.string().min(1, "must not be empty"),
      )
      .optional(),
    /**
     * Or a Secret you create in the backend's namespace, whose keys become the fetcher's env: a
     * prerequisite (prerequisites.ts). Without either, rclone uses the pod's identity (serviceAccount).
     */
    credentialsSecretName: z.string().min(1).optional(),
    /** The bucket's region, for s3:// sources (`auto` for Cloudflare R2 and most S3-compatible stores). */
    region: bucketRegion.optional(),
    /**
     * How the non-root fetcher gets to write into the volume. `fsGroup`: the kubelet hands the volume
     * to the pod's group, as it does for block storage and drivers that apply fsGroup (EFS access
     * points write as their own user). NFS-like RWX storage (Filestore, CephFS, NFS) skips fsGroup;
     * there `chown` runs a root init step that gives the volume's top folder to the backend's UID
     * (the export must not squash root; the namespace then enforces "baseline", not "restricted").
     */
    volumePermissions: z.enum(["fsGroup", "chown"]).default("fsGroup"),
    /** Extra groups for the pods, e.g. the group that owns a group-writable export that squashes root. */
    supplementalGroups: z.array(z.number().int().min(1).max(2_147_483_647)).default([]),
    /** The image that copies the model; rclone speaks S3, GCS and HTTP with on-the-fly remotes. */
    fetcherImage: z.string().min(1).default("rclone/rclone:1.71"),
  }),
  z.strictObject({
    /** An OCI image holding the model folder, mounted read-only (Kubernetes image volumes). */
    kind: z.literal("image"),
    id: modelId,
    architecture,
    reference: z.string().min(1),
    pullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).default("IfNotPresent"),
  }),
]);
export type ModelConfig = z.output<typeof modelSchema>;

export function refinePvcModel(model: Extract<ModelConfig, { kind: "pvc" }>, ctx: z.RefinementCtx): void {
  if (model.credentials !== undefined && model.credentialsSecretName !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["model", "credentialsSecretName"],
      message: "must not be set with model.credentials: the program creates the Secret from those",
    });
  }
  refineSourceRegion(model, ["model"], ctx);
}
