import { describe, expect, it } from "vitest";
import { exampleStack } from "../test-support/stack-fixture.ts";
import {
  deploymentTimeouts,
  progressDeadlineSeconds,
  startupBudget,
  versionCopySeconds,
} from "./startup-budget.ts";

describe("startup budget", () => {
  const [pvc, image] = exampleStack().clusters;
  if (pvc === undefined || image === undefined) throw new Error("the example has two clusters");

  it("adds node scale-up, image pull, the model copy at the planned rate and the warm-up", () => {
    // 20 GiB at 50 MiB/s is 410 s.
    expect(startupBudget(pvc)).toEqual({
      nodeScaleUpSeconds: 600,
      imagePullSeconds: 600,
      modelCopySeconds: 410,
      warmUpSeconds: 1200,
      totalSeconds: 2810,
    });
    expect(progressDeadlineSeconds(pvc)).toBe(2810);
  });

  it("plans no copy for an image volume and a floor for a small model", () => {
    expect(startupBudget(image).modelCopySeconds).toBe(0);
    const small = { ...pvc, model: { ...pvc.model, sizeGiB: 1 } };
    expect(startupBudget(small).modelCopySeconds).toBe(300);
  });

  it("plans no copy in the pod for sdgate:models versions, whose Jobs copy before the pods roll", () => {
    if (pvc.model.kind !== "pvc") throw new Error("the example's first cluster is pvc");
    const { source: _, ...model } = pvc.model;
    expect(startupBudget({ ...pvc, model }).modelCopySeconds).toBe(0);
    // The Job: image pull + copy + the digest check's second read + slack.
    expect(versionCopySeconds(pvc)).toBe(600 + 2 * 410 + 300);
  });

  it("gives a create one pod's start and a rollout one start per pod, as Go durations", () => {
    // 2810 s + 300 s of slack; 8 pods × 2810 s + 300 s.
    expect(deploymentTimeouts(pvc)).toEqual({ create: "52m", update: "380m" });
  });
});
