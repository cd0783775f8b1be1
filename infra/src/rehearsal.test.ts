import { beforeAll, describe, expect, it } from "vitest";
import { startupBudget } from "./components/startup-budget.ts";
import { createProgram, type ProgramOutputs } from "./program.ts";
import {
  installMocks,
  type RecordedResource,
  recordedResources,
  settle,
} from "./test-support/pulumi-mocks.ts";
import { exampleStack } from "./test-support/stack-fixture.ts";

installMocks();

/**
 * A first `pulumi up` of the documented example stack, short of a cluster: what an API server would
 * refuse or leave stuck at admission, and what Pulumi would give up on, is found here instead.
 */
const config = exampleStack();
let program: ProgramOutputs;

beforeAll(async () => {
  program = createProgram(config);
  await settle(program);
});

function registered(type: string, cluster: string): RecordedResource[] {
  return recordedResources().filter(
    (r) => r.type === type && (r.name === cluster || r.name.startsWith(`${cluster}-`)),
  );
}

function only(type: string, cluster: string, objectName = "sdgate-backend"): RecordedResource {
  const [found, ...more] = registered(type, cluster).filter(
    (r) => (r.inputs.metadata as { name?: string } | undefined)?.name === objectName,
  );
  if (found === undefined || more.length > 0) throw new Error(`expected one ${type} in ${cluster}`);
  return found;
}

/** Go's duration syntax as Pulumi reads custom timeouts ("52m", "1h30m", "90s"). */
function goDurationSeconds(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1 };
  const parts = [...text.matchAll(/(\d+)([hms])/g)];
  if (parts.map((p) => p[0]).join("") !== text || parts.length === 0)
    throw new Error(`not a duration: ${text}`);
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * (units[unit ?? ""] ?? 0), 0);
}

describe("rehearsal: Pulumi waits out a GPU pod's whole start", () => {
  it.each(config.clusters.map((c) => [c.name, c] as const))(
    "%s: the backend's timeouts and progress deadline cover node scale-up, image pull, model copy and warm-up",
    (name, cluster) => {
      const budget = startupBudget(cluster);
      expect(budget.totalSeconds).toBeGreaterThan(20 * 60);
      const deployment = only("kubernetes:apps/v1:Deployment", name);
      const timeouts = deployment.customTimeouts;
      if (timeouts === undefined) throw new Error(`${name}: the backend Deployment has no custom timeouts`);
      expect(goDurationSeconds(timeouts.create)).toBeGreaterThanOrEqual(budget.totalSeconds);
      expect(goDurationSeconds(timeouts.update)).toBeGreaterThanOrEqual(
        budget.totalSeconds * cluster.replicas.max,
      );
      const spec = deployment.inputs.spec as { progressDeadlineSeconds: number };
      expect(spec.progressDeadlineSeconds).toBeGreaterThanOrEqual(budget.totalSeconds);
    },
  );

  it("no autoscaler waits for the backend's rollout", () => {
    // The QueueAutoscaler components and what they hold: a component's dependsOn holds back its children.
    const autoscalers = recordedResources().filter((r) => /-autoscaler$/.test(r.name));
    expect(autoscalers.map((r) => r.type).sort()).toEqual([
      "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
      "kubernetes:keda.sh/v1alpha1:ScaledObject",
      "sdgate:infra:QueueAutoscaler",
      "sdgate:infra:QueueAutoscaler",
    ]);
    for (const autoscaler of autoscalers) {
      expect(autoscaler.dependencies.join(" "), autoscaler.name).not.toContain(
        "kubernetes:apps/v1:Deployment",
      );
    }
    expect(
      (
        only("kubernetes:keda.sh/v1alpha1:ScaledObject", "aws-use1").inputs.metadata as {
          annotations: object;
        }
      ).annotations,
    ).toEqual({ "pulumi.com/skipAwait": "true" });
  });
});
