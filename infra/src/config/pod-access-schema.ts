import { z } from "zod";

/**
 * How a cluster's backend pods reach what is private: the image registry, the cloud's identity for
 * the model bucket, and a container runtime other than the node's default. Each names an object the
 * operator made (a prerequisite, prerequisites.ts) or gives what the program needs to make it.
 */

/** A Kubernetes object name (RFC 1123 subdomain). */
const objectName = z
  .string()
  .regex(
    /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
    "must be a Kubernetes object name (lowercase letters, digits, '-' and '.')",
  );

export const podAccessShape = {
  /** Existing `kubernetes.io/dockerconfigjson` Secrets in the backend's namespace. */
  imagePullSecrets: z.array(objectName).default([]),
  /**
   * Or a registry login the program puts in the Secret IMAGE_PULL_SECRET_NAME; `password` is a
   * secret (`pulumi config set --secret --path 'clusters[0].imagePullCredentials.password'`).
   */
  imagePullCredentials: z
    .strictObject({
      /** The registry's host as image references name it: `ghcr.io`, `europe-docker.pkg.dev`. */
      server: z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, "must be a registry host such as ghcr.io"),
      username: z.string().min(1),
      password: z.string().min(1, "must be set (as a secret)"),
    })
    .optional(),
  /**
   * The backend pods' ServiceAccount, for a cloud identity (EKS IRSA or Pod Identity, GKE Workload
   * Identity) that reads the model bucket: an existing one by `name`, or `create: true` with the
   * `annotations` that bind it (`eks.amazonaws.com/role-arn`, `iam.gke.io/gcp-service-account`).
   */
  serviceAccount: z
    .strictObject({
      name: objectName.optional(),
      create: z.boolean().default(false),
      annotations: z.record(z.string(), z.string()).default({}),
    })
    .optional(),
  /** A RuntimeClass for the backend pods, e.g. `nvidia` where that runtime is not the node's default. */
  runtimeClassName: objectName.optional(),
};

type PodAccess = z.output<z.ZodObject<typeof podAccessShape>>;

export function refinePodAccess(access: PodAccess, ctx: z.RefinementCtx): void {
  const account = access.serviceAccount;
  if (account !== undefined && !account.create) {
    if (account.name === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["serviceAccount", "name"],
        message: "must name an existing ServiceAccount, or set create: true",
      });
    }
    if (Object.keys(account.annotations).length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["serviceAccount", "annotations"],
        message: "apply only to a ServiceAccount the program creates (create: true)",
      });
    }
  }
}
