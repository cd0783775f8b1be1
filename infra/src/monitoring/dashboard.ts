import { BACKEND_NAME } from "../components/labels.ts";
import { backendSelector } from "./queries.ts";

interface Panel {
  id: number;
  type: "timeseries" | "stat";
  title: string;
  description: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: "prometheus"; uid: "${datasource}" };
  fieldConfig: { defaults: { unit: string }; overrides: [] };
  targets: { refId: string; expr: string; legendFormat: string }[];
}

type PanelSpec = [
  title: string,
  unit: string,
  description: string,
  queries: [expr: string, legend: string][],
];

/**
 * A Grafana dashboard (JSON model, schemaVersion 39) of one cluster's backends: load, throughput,
 * latency by stage, errors, replicas and GPUs. Grafana's sidecar loads it from a labelled ConfigMap.
 */
export function backendDashboard(args: { cluster: string; namespace: string; gpuNamespaceLabel: string }) {
  const sel = backendSelector(args.namespace);
  const gpu = `{${args.gpuNamespaceLabel}="${args.namespace}"}`;
  const rate = (metric: string, extra = "") =>
    `rate(${metric}${backendSelector(args.namespace, extra)}[$__rate_interval])`;
  const quantile = (q: number, metric: string, by = "") =>
    `histogram_quantile(${q}, sum by (le${by}) (${rate(`${metric}_bucket`)}))`;
  const specs: PanelSpec[] = [
    [
      "Queue depth",
      "short",
      "Jobs waiting per pod; autoscaling follows the sum.",
      [[`sdgate_queue_depth${sel}`, "{{pod}}"]],
    ],
    ["In flight", "short", "Jobs the engine is running per pod.", [[`sdgate_in_flight${sel}`, "{{pod}}"]]],
    ["Images per second", "short", "", [[`sum(${rate("sdgate_images_total")})`, "images/s"]]],
    ["Denoising steps per second", "short", "", [[`sum(${rate("sdgate_steps_total")})`, "steps/s"]]],
    [
      "Requests by status",
      "reqps",
      "429: queue full (the edge retries elsewhere).",
      [[`sum by (status) (${rate("sdgate_requests_total")})`, "{{status}}"]],
    ],
    [
      "5xx ratio",
      "percentunit",
      "",
      [
        [
          `sum(${rate("sdgate_requests_total", 'status=~"5.."')}) / sum(${rate("sdgate_requests_total")})`,
          "5xx",
        ],
      ],
    ],
    [
      "Errors by model version",
      "percentunit",
      "Share of generate calls that failed (5xx), per model and files digest: a canary beside its stable version.",
      [
        [
          `sum by (model, version) (${rate("sdgate_generations_total", 'outcome="error"')}) / sum by (model, version) (${rate("sdgate_generations_total")})`,
          "{{model}} {{version}}",
        ],
      ],
    ],
    [
      "Latency p95 by model version",
      "s",
      "A successful generate call, arrival to answer, queue included, per model and files digest.",
      [[quantile(0.95, "sdgate_generation_duration_seconds", ", model, version"), "{{model}} {{version}}"]],
    ],
    [
      "Queue wait",
      "s",
      "From a job's arrival to its start.",
      [
        [quantile(0.5, "sdgate_queue_wait_seconds"), "p50"],
        [quantile(0.95, "sdgate_queue_wait_seconds"), "p95"],
      ],
    ],
    [
      "Stage duration p95",
      "s",
      "Where a generation's time goes.",
      [[quantile(0.95, "sdgate_stage_duration_seconds", ", stage"), "{{stage}}"]],
    ],
    [
      "Batch size",
      "short",
      "Images per UNet call (serving.maxBatch caps it).",
      [[`sum(${rate("sdgate_batch_images_sum")}) / sum(${rate("sdgate_batch_images_count")})`, "mean"]],
    ],
    [
      "Replicas",
      "short",
      "",
      [
        [
          `sum(kube_deployment_status_replicas_available{namespace="${args.namespace}",deployment="${BACKEND_NAME}"})`,
          "available",
        ],
        [
          `sum(kube_deployment_spec_replicas{namespace="${args.namespace}",deployment="${BACKEND_NAME}"})`,
          "desired",
        ],
      ],
    ],
    [
      "GPU utilisation",
      "percent",
      "dcgm-exporter.",
      [[`DCGM_FI_DEV_GPU_UTIL${gpu}`, "{{Hostname}} GPU {{gpu}}"]],
    ],
    [
      "GPU memory used",
      "decmbytes",
      "dcgm-exporter; compare with the GPU's total.",
      [[`DCGM_FI_DEV_FB_USED${gpu}`, "{{Hostname}} GPU {{gpu}}"]],
    ],
    [
      "Model load time",
      "s",
      "Load and warm-up per model at pod start.",
      [[`max by (model) (sdgate_model_load_seconds${sel})`, "{{model}}"]],
    ],
  ];
  const panels: Panel[] = specs.map(([title, unit, description, queries], index) => ({
    id: index + 1,
    type: "timeseries",
    title,
    description,
    gridPos: { x: (index % 2) * 12, y: Math.floor(index / 2) * 8, w: 12, h: 8 },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's own variable syntax, resolved by Grafana.
    datasource: { type: "prometheus", uid: "${datasource}" },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: queries.map(([expr, legendFormat], q) => ({
      refId: String.fromCharCode(65 + q),
      expr,
      legendFormat,
    })),
  }));
  return {
    uid: `sdgate-${args.cluster}`.slice(0, 40),
    title: `sdgate backends: ${args.cluster}`,
    tags: ["sdgate"],
    timezone: "utc",
    schemaVersion: 39,
    refresh: "30s",
    time: { from: "now-6h", to: "now" },
    templating: {
      list: [
        { name: "datasource", label: "Prometheus", type: "datasource", query: "prometheus", current: {} },
      ],
    },
    panels,
  };
}
