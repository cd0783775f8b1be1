import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BACKEND_PORT } from "./labels.ts";

export interface BackendNetworkPolicyArgs {
  namespace: pulumi.Input<string>;
  /** The namespace's name as a plain string, for the namespace selector of the scrape rule. */
  monitoringNamespace: string;
  backendLabels: Record<string, string>;
  tunnelLabels: Record<string, string>;
  prometheusPodLabels: Record<string, string>;
}

/**
 * Nothing reaches a pod in the namespace unless a rule says so; the backends admit the tunnel
 * connector (all traffic) and the Prometheus pods (to scrape /metrics), on the backend port only.
 * Kubelet probes come from the node itself, which NetworkPolicy implementations let through.
 */
export class BackendNetworkPolicy extends pulumi.ComponentResource {
  readonly denyAll: k8s.networking.v1.NetworkPolicy;
  readonly backendIngress: k8s.networking.v1.NetworkPolicy;

  constructor(name: string, args: BackendNetworkPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sdgate:infra:BackendNetworkPolicy", name, {}, opts);
    this.denyAll = new k8s.networking.v1.NetworkPolicy(
      `${name}-default-deny`,
      {
        metadata: { name: "default-deny-ingress", namespace: args.namespace },
        spec: { podSelector: {}, policyTypes: ["Ingress"] },
      },
      { parent: this },
    );
    this.backendIngress = new k8s.networking.v1.NetworkPolicy(
      `${name}-backend-ingress`,
      {
        metadata: { name: "sdgate-backend-ingress", namespace: args.namespace },
        spec: {
          podSelector: { matchLabels: args.backendLabels },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [
                { podSelector: { matchLabels: args.tunnelLabels } },
                {
                  namespaceSelector: {
                    matchLabels: { "kubernetes.io/metadata.name": args.monitoringNamespace },
                  },
                  podSelector: { matchLabels: args.prometheusPodLabels },
                },
              ],
              ports: [{ protocol: "TCP", port: BACKEND_PORT }],
            },
          ],
        },
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
