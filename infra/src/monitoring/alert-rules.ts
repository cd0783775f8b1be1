import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { BACKEND_NAME, TUNNEL_NAME } from "../components/labels.ts";
import { backendSelector } from "./queries.ts";

export interface AlertRuleArgs {
  namespace: string;
  /** SDGATE_QUEUE_SIZE of each pod, to turn queue depth into a share of capacity. */
  queueSize: number;
  queueSaturationRatio: number;
  errorRatio: number;
  gpuMemoryRatio: number;
  /** dcgm-exporter's label for the GPU's pod namespace (see MonitoringConfig.gpuNamespaceLabel). */
  gpuNamespaceLabel: string;
}

type RuleGroup = NonNullable<IPrometheusRule["spec"]["groups"]>[number];

const percent = (ratio: number) => `${Math.round(ratio * 1000) / 10}%`;

/**
 * One group per cluster. Severities: `critical` when users are failing or about to (nothing serves,
 * errors, no way in), `warning` when capacity is running out. Thresholds come from the stack config.
 */
export function alertRules(args: AlertRuleArgs): RuleGroup {
  const sel = backendSelector(args.namespace);
  const errors = backendSelector(args.namespace, 'status=~"5.."');
  const gpu = `{${args.gpuNamespaceLabel}="${args.namespace}"}`;
  const where = `in ${args.namespace}`;
  return {
    name: `sdgate-${args.namespace}`,
    rules: [
      {
        alert: "SdgateBackendDown",
        expr: `up${sel} == 0`,
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: `A backend pod ${where} is not answering /metrics`,
          description:
            "{{ $labels.pod }} has been unreachable for 5 minutes; the edge fails over to other pods and pools.",
        },
      },
      {
        alert: "SdgateBackendsAllDown",
        expr: `(sum(up${sel}) or vector(0)) == 0`,
        for: "2m",
        labels: { severity: "critical" },
        annotations: {
          summary: `No backend ${where} is up`,
          description: "Every request for this pool fails over to other pools, or fails if there are none.",
        },
      },
      {
        alert: "SdgateTunnelDown",
        expr: `(sum(kube_deployment_status_replicas_available{namespace="${args.namespace}",deployment="${TUNNEL_NAME}"}) or vector(0)) < 1`,
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: `No cloudflared connector ${where} is available`,
          description: "The tunnel is the only way in: the edge cannot reach this cluster's backends.",
        },
      },
      {
        alert: "SdgateQueueSaturated",
        expr: `sum(sdgate_queue_depth${sel}) / (count(up${sel} == 1) * ${args.queueSize}) > ${args.queueSaturationRatio}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: `Backend queues ${where} are over ${percent(args.queueSaturationRatio)} full`,
          description: `Full queues answer 429 and the edge sends work elsewhere. Check that ${BACKEND_NAME} can scale (replicas.max, free GPU nodes).`,
        },
      },
      {
        alert: "SdgateHighErrorRate",
        expr: `sum(rate(sdgate_requests_total${errors}[5m])) / sum(rate(sdgate_requests_total${sel}[5m])) > ${args.errorRatio}`,
        for: "10m",
        labels: { severity: "critical" },
        annotations: {
          summary: `Over ${percent(args.errorRatio)} of generate requests ${where} fail with 5xx`,
          description: "See the backend logs for engine failures (out of GPU memory, a broken model).",
        },
      },
      {
        alert: "SdgateGpuMemoryHigh",
        expr: `max by (Hostname, gpu) (DCGM_FI_DEV_FB_USED${gpu} / (DCGM_FI_DEV_FB_USED${gpu} + DCGM_FI_DEV_FB_FREE${gpu})) > ${args.gpuMemoryRatio}`,
        for: "10m",
        labels: { severity: "warning" },
        annotations: {
          summary: `GPU memory ${where} is over ${percent(args.gpuMemoryRatio)} used`,
          description:
            "{{ $labels.Hostname }} GPU {{ $labels.gpu }}: larger batches or another model may fail to allocate; lower serving.maxBatch.",
        },
      },
    ],
  };
}
