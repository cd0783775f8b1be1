import { describe, expect, it } from "vitest";
import { loadStackConfig } from "../config/load-config.ts";
import { createProgram } from "../program.ts";
import { installMocks, outputOf, settle } from "../test-support/pulumi-mocks.ts";
import { exampleConfigValues, exampleStack, sourceOf } from "../test-support/stack-fixture.ts";
import { edgeRetention, edgeRetentionProblems } from "./edge-retention.ts";

installMocks();

const DAY_S = 86_400;

describe("policy: the edge's stored data expires", () => {
  it("expires the replay cache's img/ and gen/ objects after cacheDays, keeping R2's multipart default", async () => {
    const program = createProgram(
      exampleStack((values) => {
        values.retention = { cacheDays: 14 };
      }),
    );
    const retention = await outputOf(program.edgeRetention);
    await settle(program);
    expect(retention.r2Lifecycle.rules).toEqual([
      {
        id: "sdgate-cache-images",
        enabled: true,
        conditions: { prefix: "img/" },
        deleteObjectsTransition: { condition: { type: "Age", maxAge: 14 * DAY_S } },
      },
      {
        id: "sdgate-cache-records",
        enabled: true,
        conditions: { prefix: "gen/" },
        deleteObjectsTransition: { condition: { type: "Age", maxAge: 14 * DAY_S } },
      },
      {
        id: "sdgate-abort-multipart",
        enabled: true,
        conditions: { prefix: "" },
        abortMultipartUploadsTransition: { condition: { type: "Age", maxAge: 7 * DAY_S } },
      },
    ]);
  });

  it("hands the edge the same numbers as vars, its index forgetting with R2", async () => {
    const program = createProgram(exampleStack());
    const retention = await outputOf(program.edgeRetention);
    await settle(program);
    expect(retention.vars).toEqual({
      SDGATE_CACHE_RETENTION_DAYS: "30",
      SDGATE_JOB_RETENTION_HOURS: "24",
      SDGATE_AUDIT_RETENTION_DAYS: "400",
    });
    const maxAge = retention.r2Lifecycle.rules[0]?.deleteObjectsTransition?.condition.maxAge;
    expect(maxAge).toBe(Number(retention.vars.SDGATE_CACHE_RETENTION_DAYS) * DAY_S);
  });

  it("refuses a job kept longer than the R2 rule that also deletes its images, and a day count out of bounds", () => {
    const values = exampleConfigValues();
    values.retention = { cacheDays: 1, jobHours: 25, auditDays: -1 };
    expect(() => loadStackConfig(sourceOf(values))).toThrow(
      /sdgate:retention\.jobHours: must be at most cacheDays × 24/,
    );
    expect(() => loadStackConfig(sourceOf(values))).toThrow(/sdgate:retention\.auditDays/);
  });

  it("reads a saved retention back only when it holds together", () => {
    const saved = edgeRetention({ cacheDays: 30, jobHours: 24, auditDays: 0 });
    expect(edgeRetentionProblems(JSON.parse(JSON.stringify(saved)))).toEqual({ ok: true, value: saved });
    expect(
      edgeRetentionProblems({ ...saved, vars: { ...saved.vars, SDGATE_JOB_RETENTION_HOURS: "9999" } }),
    ).toMatchObject({ ok: false, problems: expect.stringContaining("jobHours") });
    expect(edgeRetentionProblems({ vars: {} })).toMatchObject({ ok: false });
  });
});
