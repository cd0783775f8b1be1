import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { restrictedSecurityContext } from "./backend-pod.ts";
import { TUNNEL_METRICS_PORT, TUNNEL_NAME, TUNNEL_UID } from "./labels.ts";

export interface TunnelConnectorArgs {
  namespace: pulumi.Input<string>;
  labels: Record<string, string>;
  /** The tunnel's UUID (public: its DNS target is `<id>.cfargotunnel.com`). */
  tunnelId: string;
  /** The credentials file `cloudflared tunnel create` wrote; a secret. */
  credentials: pulumi.Input<string>;
  /** The public hostname routed to this tunnel. */
  hostname: string;
  /** Where the backend Service answers inside the cluster. */
  originUrl: string;
  replicas: number;
  image: string;
  tolerations: k8s.types.input.core.v1.Toleration[];
}

/**
 * Only the paths the edge calls are forwarded (client.ts's generate and job routes, probe.ts's
 * /readyz); /metrics stays inside the cluster. cloudflared matches `path` as a regular expression.
 */
export const TUNNEL_PATH_REGEX = "^/(internal/v1/.*|readyz|healthz)$";

/** The locally-managed tunnel's config: JSON, which cloudflared's YAML reader accepts as it is. */
export function tunnelConfig(args: Pick<TunnelConnectorArgs, "tunnelId" | "hostname" | "originUrl">): string {
  return JSON.stringify(
    {
      tunnel: args.tunnelId,
      "credentials-file": "/etc/cloudflared/credentials/credentials.json",
      metrics: `0.0.0.0:${TUNNEL_METRICS_PORT}`,
      "no-autoupdate": true,
      ingress: [
        {
          hostname: args.hostname,
          path: TUNNEL_PATH_REGEX,
          service: args.originUrl,
          // A generation can outlast cloudflared's defaults; the edge's own timeout is the one that counts.
          originRequest: { connectTimeout: "10s", keepAliveTimeout: "90s" },
        },
        { service: "http_status:404" },
      ],
    },
    null,
    2,
  );
}

/**
 * A Cloudflare Tunnel connector (`cloudflared`): outbound-only connections to Cloudflare, so the
 * backends need no public IP, load balancer or Ingress. The tunnel's hostname is the edge's URL for
 * this cluster. Two replicas on different nodes keep the way in open through a node drain.
 */
export class TunnelConnector extends pulumi.ComponentResource {
  readonly deployment: k8s.apps.v1.Deployment;
  readonly credentials: k8s.core.v1.Secret;
  readonly config: k8s.core.v1.ConfigMap;
  readonly disruptionBudget: k8s.policy.v1.PodDisruptionBudget;

  constructor(name: string, args: TunnelConnectorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sdgate:infra:TunnelConnector", name, {}, opts);
    const metadata = (suffix: string) => ({
      name: `${TUNNEL_NAME}-${suffix}`,
      namespace: args.namespace,
      labels: args.labels,
    });

    this.credentials = new k8s.core.v1.Secret(
      `${name}-credentials`,
      {
        metadata: metadata("credentials"),
        type: "Opaque",
        stringData: { "credentials.json": args.credentials },
      },
      { parent: this },
    );
    const configYaml = tunnelConfig(args);
    this.config = new k8s.core.v1.ConfigMap(
      `${name}-config`,
      { metadata: metadata("config"), data: { "config.yaml": configYaml } },
      { parent: this },
    );

    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name: TUNNEL_NAME, namespace: args.namespace, labels: args.labels },
        spec: {
          replicas: args.replicas,
          selector: { matchLabels: args.labels },
          template: {
            // A changed route rolls the connectors; cloudflared reads its config only at start.
            metadata: {
              labels: args.labels,
              annotations: {
                "sdgate.dev/config-sha256": createHash("sha256").update(configYaml).digest("hex"),
              },
            },
            spec: {
              automountServiceAccountToken: false,
              enableServiceLinks: false,
              securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
              ...(args.tolerations.length === 0 ? {} : { tolerations: args.tolerations }),
              affinity: {
                podAntiAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                      weight: 100,
                      podAffinityTerm: {
                        topologyKey: "kubernetes.io/hostname",
                        labelSelector: { matchLabels: args.labels },
                      },
                    },
                  ],
                },
              },
              containers: [
                {
                  name: TUNNEL_NAME,
                  image: args.image,
                  args: ["tunnel", "--config", "/etc/cloudflared/config/config.yaml", "run"],
                  ports: [{ name: "metrics", containerPort: TUNNEL_METRICS_PORT }],
                  // Cloudflare's Kubernetes guide: /ready is 200 once a connection to the edge is up.
                  livenessProbe: {
                    httpGet: { path: "/ready", port: "metrics" },
                    initialDelaySeconds: 10,
                    periodSeconds: 10,
                    failureThreshold: 3,
                  },
                  readinessProbe: { httpGet: { path: "/ready", port: "metrics" }, periodSeconds: 5 },
                  resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                  securityContext: restrictedSecurityContext(TUNNEL_UID),
                  volumeMounts: [
                    { name: "config", mountPath: "/etc/cloudflared/config", readOnly: true },
                    { name: "credentials", mountPath: "/etc/cloudflared/credentials", readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: "config", configMap: { name: `${TUNNEL_NAME}-config` } },
                { name: "credentials", secret: { secretName: `${TUNNEL_NAME}-credentials` } },
              ],
            },
          },
        },
      },
      { parent: this, dependsOn: [this.config, this.credentials] },
    );
    // A node drain takes one connector at a time, so the way in stays open through it.
    this.disruptionBudget = new k8s.policy.v1.PodDisruptionBudget(
      name,
      {
        metadata: { name: TUNNEL_NAME, namespace: args.namespace, labels: args.labels },
        spec: { maxUnavailable: 1, selector: { matchLabels: args.labels } },
      },
      { parent: this },
    );
    this.registerOutputs({ hostname: args.hostname });
  }
}
