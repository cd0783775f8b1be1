import { readFileSync } from "node:fs";
import { parse } from "yaml";
import {
  type ConfigSource,
  loadStackConfig,
  type StackConfig,
  StackConfigError,
} from "../config/load-config.ts";

/** Every secret the fixture sets carries this marker, so a leak is a substring search away. */
export const SECRET_MARKER = "LEAKME";

export const FIXTURE_SECRETS = {
  hmacKeys: `k2:${SECRET_MARKER}-hmac-${"b".repeat(32)},k1:${SECRET_MARKER}-old-${"a".repeat(32)}`,
  kubeconfig: (cluster: string) =>
    `apiVersion: v1\nkind: Config\nusers:\n- name: ${cluster}\n  user:\n    token: ${SECRET_MARKER}-kube-${cluster}\n`,
  tunnelCredentials: (index: number) =>
    JSON.stringify({
      AccountTag: "0123456789abcdef0123456789abcdef",
      TunnelSecret: `${SECRET_MARKER}-tunnel-${index}`,
      TunnelID: `6ff42ae2-765d-4adf-8112-31c55c1551e${index}`,
    }),
  slackWebhookUrl: `https://hooks.slack.com/services/T000/B000/${SECRET_MARKER}`,
  imagePullPassword: `ghp_${SECRET_MARKER}`,
  modelCredentials: {
    AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
    AWS_SECRET_ACCESS_KEY: `${SECRET_MARKER}-model-reader`,
  },
};

type Raw = Record<string, unknown>;

/**
 * The documented example stack (infra/Pulumi.example.yaml) with its secrets set the way its comments
 * say, as the raw `sdgate:*` values Pulumi would hand the program: objects as JSON text.
 */
export function exampleConfigValues(): Record<string, unknown> {
  const file = parse(readFileSync(new URL("../../Pulumi.example.yaml", import.meta.url), "utf8")) as {
    config: Record<string, unknown>;
  };
  const values: Raw = {};
  for (const [key, value] of Object.entries(file.config)) values[key.replace(/^sdgate:/, "")] = value;
  values.hmacKeys = FIXTURE_SECRETS.hmacKeys;
  (values.clusters as Raw[]).forEach((cluster, index) => {
    cluster.kubeconfig = FIXTURE_SECRETS.kubeconfig(String(cluster.name));
    (cluster.tunnel as Raw).credentials = FIXTURE_SECRETS.tunnelCredentials(index);
    (cluster.imagePullCredentials as Raw).password = FIXTURE_SECRETS.imagePullPassword;
    const model = cluster.model as Raw;
    if (model.kind === "pvc") model.credentials = { ...FIXTURE_SECRETS.modelCredentials };
  });
  ((values.alerts as { receivers: Raw[] }).receivers[0] as Raw).slackWebhookUrl =
    FIXTURE_SECRETS.slackWebhookUrl;
  return values;
}

/** A config source over plain values; objects are served as JSON text, as Pulumi serves them. */
export function sourceOf(values: Record<string, unknown>): ConfigSource {
  return {
    get: (key) => {
      const value = values[key];
      if (value === undefined) return undefined;
      return typeof value === "string" ? value : JSON.stringify(value);
    },
  };
}

/** The example stack, loaded; `edit` may change the raw values first. */
export function exampleStack(edit?: (values: Record<string, unknown>) => void): StackConfig {
  const values = exampleConfigValues();
  edit?.(values);
  return loadStackConfig(sourceOf(values));
}

/** What loading these raw values is refused for (the StackConfigError's message); throws if they load. */
export function loadProblem(values: Record<string, unknown>): string {
  try {
    loadStackConfig(sourceOf(values));
  } catch (error) {
    if (error instanceof StackConfigError) return error.message;
    throw error;
  }
  throw new Error("the config loaded");
}
