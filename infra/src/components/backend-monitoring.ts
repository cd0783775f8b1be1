import type { IServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import type { IAlertmanagerConfig } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Receiver, StackConfig } from "../config/load-config.ts";
import type { MonitoringConfig } from "../config/schema.ts";
import { alertRules } from "../monitoring/alert-rules.ts";
import { backendDashboard } from "../monitoring/dashboard.ts";
import { BACKEND_NAME } from "./labels.ts";

export interface BackendMonitoringArgs {
  cluster: string;
  namespace: pulumi.Input<string>;
  namespaceName: string;
  backendLabels: Record<string, string>;
  queueSize: number;
  monitoring: MonitoringConfig;
  alerts: StackConfig["alerts"];
}

const RECEIVER_SECRET_NAME = "sdgate-alert-receivers";

/**
 * What Prometheus and Grafana (kube-prometheus-stack) need to watch one cluster's backends: a
 * ServiceMonitor for /metrics, the alert rules, the receivers those alerts go to, and the dashboard.
 */
export class BackendMonitoring extends pulumi.ComponentResource {
  readonly serviceMonitor: k8s.apiextensions.CustomResource;
  readonly rules: k8s.apiextensions.CustomResource;
  readonly dashboard: k8s.core.v1.ConfigMap;
  readonly alertmanagerConfig?: k8s.apiextensions.CustomResource;
  readonly receiverSecret?: k8s.core.v1.Secret;

  constructor(name: string, args: BackendMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sdgate:infra:BackendMonitoring", name, {}, opts);
    const { monitoring } = args;
    const metadata = {
      namespace: args.namespace,
      labels: { ...args.backendLabels, ...monitoring.selectorLabels },
    };

    const serviceMonitorSpec: IServiceMonitor["spec"] = {
      selector: { matchLabels: args.backendLabels },
      namespaceSelector: { matchNames: [args.namespaceName] },
      endpoints: [{ port: "http", path: "/metrics", interval: "15s", scrapeTimeout: "10s" }],
    };
    this.serviceMonitor = new k8s.apiextensions.CustomResource(
      `${name}-service-monitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { ...metadata, name: BACKEND_NAME },
        spec: serviceMonitorSpec,
      },
      { parent: this },
    );

    this.rules = new k8s.apiextensions.CustomResource(
      `${name}-rules`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { ...metadata, name: BACKEND_NAME },
        spec: {
          groups: [
            alertRules({
              namespace: args.namespaceName,
              queueSize: args.queueSize,
              queueSaturationRatio: args.alerts.queueSaturationRatio,
              errorRatio: args.alerts.errorRatio,
              gpuMemoryRatio: args.alerts.gpuMemoryRatio,
              gpuNamespaceLabel: monitoring.gpuNamespaceLabel,
            }),
          ],
        },
      },
      { parent: this },
    );

    // The dashboard goes where Grafana's sidecar looks (its own namespace by default).
    const dashboardJson = JSON.stringify(
      backendDashboard({
        cluster: args.cluster,
        namespace: args.namespaceName,
        gpuNamespaceLabel: monitoring.gpuNamespaceLabel,
      }),
    );
    this.dashboard = new k8s.core.v1.ConfigMap(
      `${name}-dashboard`,
      {
        metadata: {
          name: `sdgate-${args.cluster}-dashboard`,
          namespace: monitoring.namespace,
          labels: { ...args.backendLabels, ...monitoring.dashboardLabel },
        },
        data: { [`sdgate-${args.cluster}.json`]: dashboardJson },
      },
      { parent: this },
    );

    if (args.alerts.receivers.length > 0) {
      this.receiverSecret = new k8s.core.v1.Secret(
        `${name}-receivers`,
        {
          metadata: { name: RECEIVER_SECRET_NAME, namespace: args.namespace },
          type: "Opaque",
          stringData: Object.fromEntries(args.alerts.receivers.map((r) => [r.name, r.secret])),
        },
        { parent: this },
      );
      this.alertmanagerConfig = new k8s.apiextensions.CustomResource(
        `${name}-alertmanager`,
        {
          apiVersion: "monitoring.coreos.com/v1alpha1",
          kind: "AlertmanagerConfig",
          metadata: { ...metadata, name: BACKEND_NAME },
          spec: alertmanagerSpec(args.alerts.receivers),
        },
        { parent: this, dependsOn: [this.receiverSecret] },
      );
    }
    this.registerOutputs({ dashboard: this.dashboard.metadata.name });
  }
}

/**
 * The operator scopes an AlertmanagerConfig's route to alerts from its own namespace; the root
 * receiver drops what no child route takes, and every receiver sees each alert (`continue`).
 */
export function alertmanagerSpec(receivers: readonly Receiver[]): IAlertmanagerConfig["spec"] {
  const ref = (receiver: Receiver) => ({ name: RECEIVER_SECRET_NAME, key: receiver.name });
  return {
    route: {
      receiver: "sdgate-drop",
      groupBy: ["alertname", "namespace"],
      groupWait: "30s",
      groupInterval: "5m",
      repeatInterval: "4h",
      routes: receivers.map((receiver) => ({
        receiver: receiver.name,
        continue: true,
        matchers: [
          {
            name: "severity",
            matchType: "=~" as const,
            value: receiver.minSeverity === "critical" ? "critical" : "warning|critical",
          },
        ],
      })),
    },
    receivers: [
      { name: "sdgate-drop" },
      ...receivers.map((receiver) => receiverSpec(receiver, ref(receiver))),
    ],
  };
}

type ReceiverSpec = NonNullable<NonNullable<IAlertmanagerConfig["spec"]>["receivers"]>[number];

function receiverSpec(receiver: Receiver, secret: { name: string; key: string }): ReceiverSpec {
  switch (receiver.kind) {
    case "slack":
      return {
        name: receiver.name,
        slackConfigs: [
          {
            apiURL: secret,
            sendResolved: true,
            ...(receiver.slackChannel === undefined ? {} : { channel: receiver.slackChannel }),
          },
        ],
      };
    case "pagerduty":
      return { name: receiver.name, pagerdutyConfigs: [{ routingKey: secret, sendResolved: true }] };
    case "webhook":
      return { name: receiver.name, webhookConfigs: [{ urlSecret: secret, sendResolved: true }] };
  }
}
