/**
 * The PromQL the autoscaler, the alerts and the dashboard share. A ServiceMonitor's targets carry the
 * Service's name as `job` and its namespace as `namespace`, so these select one cluster's backends.
 */
export const BACKEND_JOB = "sdgate-backend";

export function backendSelector(namespace: string, extra = ""): string {
  return `{namespace="${namespace}",job="${BACKEND_JOB}"${extra === "" ? "" : `,${extra}`}}`;
}

/** Jobs waiting across the namespace's backends; the autoscaler divides it by the pod count. */
export function queueDepthQuery(namespace: string): string {
  return `sum(sdgate_queue_depth${backendSelector(namespace)}) or vector(0)`;
}
