/**
 * Names and labels shared by one cluster's objects. Names are fixed (not Pulumi auto-names) because
 * other objects refer to them by DNS name: the tunnel's ingress, the Prometheus trigger's query.
 */
export const BACKEND_NAME = "sdgate-backend";
export const TUNNEL_NAME = "cloudflared";
export const BACKEND_PORT = 8080;
/** cloudflared's `/ready` and Prometheus metrics (Cloudflare's Kubernetes guide uses 2000). */
export const TUNNEL_METRICS_PORT = 2000;
/** The UID the backend image creates (backend/Dockerfile); pods run as it. */
export const BACKEND_UID = 10001;
/** cloudflared's images run as the distroless `nonroot` user. */
export const TUNNEL_UID = 65532;

export function backendLabels(cluster: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": BACKEND_NAME,
    "app.kubernetes.io/instance": cluster,
    "app.kubernetes.io/part-of": "sdgate",
  };
}

export function tunnelLabels(cluster: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": TUNNEL_NAME,
    "app.kubernetes.io/instance": cluster,
    "app.kubernetes.io/part-of": "sdgate",
  };
}

/** The backend Service's in-cluster URL, the only origin the tunnel forwards to. */
export function backendServiceUrl(namespace: string): string {
  return `http://${BACKEND_NAME}.${namespace}.svc.cluster.local:${BACKEND_PORT}`;
}
