import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Cluster } from "../config/load-config.ts";

/** The Secret the program makes from `imagePullCredentials`. */
export const IMAGE_PULL_SECRET_NAME = "sdgate-image-pull";
/** The ServiceAccount the program makes when `serviceAccount.create` is set without a name. */
export const DEFAULT_SERVICE_ACCOUNT_NAME = "sdgate-backend";

export interface PodAccessArgs {
  namespace: pulumi.Input<string>;
  cluster: Pick<Cluster, "imagePullSecrets" | "imagePullCredentials" | "serviceAccount">;
  labels: Record<string, string>;
}

/**
 * What the backend pods pull and act as: the image pull Secrets (the operator's, and one made from
 * `imagePullCredentials`) and the ServiceAccount that carries a cloud identity, made here when asked.
 */
export class PodAccess extends pulumi.ComponentResource {
  /** For the pod's `imagePullSecrets`, in the order configured, the program's own last. */
  readonly imagePullSecrets: string[];
  /** Unset: the namespace's `default` ServiceAccount. */
  readonly serviceAccountName?: string;
  readonly pullSecret?: k8s.core.v1.Secret;
  readonly serviceAccount?: k8s.core.v1.ServiceAccount;

  constructor(name: string, args: PodAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sdgate:infra:PodAccess", name, {}, opts);
    const { cluster } = args;
    const metadata = (objectName: string) => ({
      name: objectName,
      namespace: args.namespace,
      labels: args.labels,
    });
    this.imagePullSecrets = [...cluster.imagePullSecrets];

    const login = cluster.imagePullCredentials;
    if (login !== undefined) {
      this.pullSecret = new k8s.core.v1.Secret(
        `${name}-image-pull`,
        {
          metadata: metadata(IMAGE_PULL_SECRET_NAME),
          type: "kubernetes.io/dockerconfigjson",
          stringData: {
            ".dockerconfigjson": login.password.apply((password) =>
              dockerConfigJson(login.server, login.username, password),
            ),
          },
        },
        { parent: this },
      );
      this.imagePullSecrets.push(IMAGE_PULL_SECRET_NAME);
    }

    const account = cluster.serviceAccount;
    if (account?.create) {
      this.serviceAccountName = account.name ?? DEFAULT_SERVICE_ACCOUNT_NAME;
      this.serviceAccount = new k8s.core.v1.ServiceAccount(
        `${name}-service-account`,
        {
          metadata: { ...metadata(this.serviceAccountName), annotations: account.annotations },
          // The backend never calls the Kubernetes API; cloud identities bring their own token.
          automountServiceAccountToken: false,
        },
        { parent: this },
      );
    } else if (account?.name !== undefined) {
      this.serviceAccountName = account.name;
    }
    this.registerOutputs({
      imagePullSecrets: this.imagePullSecrets,
      serviceAccountName: this.serviceAccountName,
    });
  }
}

/** The file `docker login` writes, which a `kubernetes.io/dockerconfigjson` Secret holds. */
export function dockerConfigJson(server: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}
