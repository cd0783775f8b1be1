import { describe, expect, it } from "vitest";
import {
  aliasNameSchema,
  formatModelRef,
  MAX_MODEL_REF_CHARS,
  modelSourceSchema,
  parseModelRef,
  promotionBodySchema,
  promotionDecisionBodySchema,
  registerVersionBodySchema,
  versionLabel,
  versionNumber,
} from "./model-registry.ts";

describe("parseModelRef", () => {
  it("reads a model as its production alias, an alias, and a pinned version", () => {
    expect(parseModelRef("sd15")).toEqual({ ok: true, value: { model: "sd15", alias: "production" } });
    expect(parseModelRef("sd15@staging")).toEqual({ ok: true, value: { model: "sd15", alias: "staging" } });
    expect(parseModelRef("sd-1.5_x@v3")).toEqual({ ok: true, value: { model: "sd-1.5_x", version: "v3" } });
    expect(parseModelRef("sd15@v2-candidate")).toEqual({
      ok: true,
      value: { model: "sd15", alias: "v2-candidate" },
    });
  });

  it("refuses bad references, naming the part it could not read", () => {
    const message = (ref: string) => {
      const parsed = parseModelRef(ref);
      if (parsed.ok) expect.fail(`${ref} was accepted`);
      expect(parsed.error.code).toBe("invalid_model_ref");
      return parsed.error.message;
    };
    expect(message("")).toMatch(/empty/);
    expect(message("SD15")).toMatch(/'SD15' is not a model id/);
    expect(message("@staging")).toMatch(/'' is not a model id/);
    expect(message("sd15@")).toMatch(/'' after '@'/);
    expect(message("sd15@v0")).toMatch(/'v0' is not a version/);
    expect(message("sd15@v03")).toMatch(/'v03' is not a version/);
    expect(message("sd15@v1234567890")).toMatch(/not a version/);
    expect(message("sd15@Staging")).toMatch(/'Staging' after '@'/);
    expect(message("sd15@a@b")).toMatch(/'a@b' after '@'/);
    expect(message("sd15@stag ing")).toMatch(/after '@'/);
  });

  it("refuses long references by their length, at once", () => {
    expect(parseModelRef(`${"a".repeat(64)}@${"b".repeat(32)}`).ok).toBe(true);
    expect(parseModelRef(`${"a".repeat(65)}`).ok).toBe(false);
    for (const long of [
      `${"a".repeat(64)}@${"b".repeat(33)}`,
      "a".repeat(1_000_000),
      `${"@".repeat(500_000)}`,
    ]) {
      const started = performance.now();
      const parsed = parseModelRef(long);
      expect(performance.now() - started).toBeLessThan(50);
      expect(parsed).toMatchObject({
        ok: false,
        error: { message: expect.stringContaining(`${MAX_MODEL_REF_CHARS}`) },
      });
    }
  });

  it("writes back what it reads", () => {
    for (const ref of ["sd15@production", "sd15@v12", "tiny@canary"]) {
      const parsed = parseModelRef(ref);
      if (!parsed.ok) expect.fail(parsed.error.message);
      expect(formatModelRef(parsed.value)).toBe(ref);
    }
  });
});

describe("the registry's names", () => {
  it("number versions as v1, v2, …", () => {
    expect(versionLabel(3)).toBe("v3");
    expect(versionNumber("v12")).toBe(12);
    for (const bad of ["v0", "v01", "3", "V3", "v"]) expect(versionNumber(bad)).toBeNull();
  });

  it("keep aliases from looking like versions", () => {
    expect(aliasNameSchema.safeParse("production").success).toBe(true);
    expect(aliasNameSchema.safeParse("v2").success).toBe(false);
    expect(aliasNameSchema.safeParse("v02").success).toBe(false);
  });

  it("read a checkpoint source with LoRAs and build options, and refuse unknown fields", () => {
    const source = {
      kind: "checkpoint",
      uri: "s3://models/sd15.safetensors",
      loras: [{ uri: "s3://loras/style.safetensors", scale: 0.8 }],
      build_options: { precision: "fp16" },
    };
    expect(modelSourceSchema.parse(source)).toEqual(source);
    expect(modelSourceSchema.safeParse({ kind: "export", path: "/models/sd15", uri: "x" }).success).toBe(
      false,
    );
    expect(modelSourceSchema.safeParse({ kind: "folder", path: "/models/sd15" }).success).toBe(false);
  });
});

describe("the registry's bodies", () => {
  const digest = "a".repeat(64);

  it("take a version with its licence and card, and refuse a digest that is not SHA-256 hex", () => {
    const body = {
      digest,
      source: { kind: "export", path: "/models/sd15" },
      engine_version: "sdgate-engine/3",
      licence: { id: "CreativeML-OpenRAIL-M", accepted: true },
    };
    expect(registerVersionBodySchema.parse(body)).toEqual({ ...body, card: "" });
    for (const bad of ["A".repeat(64), "a".repeat(63), `sha256:${"a".repeat(64)}`])
      expect(registerVersionBodySchema.safeParse({ ...body, digest: bad }).error?.issues[0]?.path).toEqual([
        "digest",
      ]);
    expect(
      registerVersionBodySchema.safeParse({ ...body, licence: { id: "has space", accepted: true } }).success,
    ).toBe(false);
  });

  it("take a promotion with evidence, naming a version and an alias that is not one", () => {
    expect(
      promotionBodySchema.parse({
        alias: "production",
        to_version: "v3",
        evidence: [{ kind: "evaluation", ref: "eval_1" }],
      }),
    ).toEqual({
      alias: "production",
      to_version: "v3",
      comment: "",
      evidence: [{ kind: "evaluation", ref: "eval_1", note: "" }],
    });
    expect(promotionBodySchema.safeParse({ alias: "v3", to_version: "v3" }).success).toBe(false);
    expect(promotionBodySchema.safeParse({ alias: "production", to_version: "3" }).success).toBe(false);
    expect(
      promotionBodySchema.safeParse({
        alias: "production",
        to_version: "v3",
        evidence: [{ kind: "vibes", ref: "x" }],
      }).success,
    ).toBe(false);
  });

  it("take a decision with the revision the approver saw", () => {
    expect(promotionDecisionBodySchema.parse({ expected_revision: 4 })).toEqual({
      comment: "",
      expected_revision: 4,
    });
    expect(promotionDecisionBodySchema.safeParse({ expected_revision: -1 }).success).toBe(false);
  });
});
