import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export interface GpuBackendArgs {
  /** Kubernetes namespace to create for this backend. */
  namespace: pulumi.Input<string>;
  /** Container image of the backend (see backend/). */
  image: pulumi.Input<string>;
  /** GPUs each pod requests (`nvidia.com/gpu`); one backend process serves one GPU. */
  gpusPerPod: number;
  replicas: number;
  /** Value of the `nvidia.com/gpu.product` node label to schedule on, e.g. `NVIDIA-H100-80GB-HBM3`. */
  gpuProduct: string;
  /** Port the backend listens on inside the pod. */
  port?: number;
}

/**
 * One cluster's GPU backends: a namespace, a Deployment of backend pods on GPU nodes, and a
 * cluster-internal Service. Issue 6 grows it (secrets, model volume, tunnel, autoscaling, alerts).
 */
export class GpuBackend extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service;

  constructor(name: string, args: GpuBackendArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sdgate:infra:GpuBackend", name, {}, opts);
    if (!Number.isInteger(args.gpusPerPod) || args.gpusPerPod < 1) {
      throw new Error(
        `GpuBackend ${name}: gpusPerPod must be a whole number of at least 1, got ${args.gpusPerPod}.`,
      );
    }
    const port = args.port ?? 8080;
    const labels = { "app.kubernetes.io/name": "sdgate-backend", "app.kubernetes.io/instance": name };

    this.namespace = new k8s.core.v1.Namespace(
      name,
      { metadata: { name: args.namespace } },
      { parent: this },
    );
    const namespace = this.namespace.metadata.name;

    this.deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { namespace, labels },
        spec: {
          replicas: args.replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              nodeSelector: { "nvidia.com/gpu.product": args.gpuProduct },
              tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
              containers: [
                {
                  name: "backend",
                  image: args.image,
                  ports: [{ name: "http", containerPort: port }],
                  env: [
                    { name: "SDGATE_BACKEND_HOST", value: "0.0.0.0" },
                    { name: "SDGATE_BACKEND_PORT", value: String(port) },
                    { name: "SDGATE_EXECUTION_PROVIDERS", value: "cuda,cpu" },
                  ],
                  resources: { limits: { "nvidia.com/gpu": String(args.gpusPerPod) } },
                  readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5 },
                  livenessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10 },
                },
              ],
            },
          },
        },
      },
      { parent: this },
    );

    this.service = new k8s.core.v1.Service(
      name,
      {
        metadata: { namespace, labels },
        spec: { type: "ClusterIP", selector: labels, ports: [{ name: "http", port, targetPort: "http" }] },
      },
      { parent: this },
    );
    this.registerOutputs({ namespace, service: this.service.metadata.name });
  }
}
