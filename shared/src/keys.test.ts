import { describe, expect, it } from "vitest";
import {
  createKeyBodySchema,
  DEFAULT_KEY_LIMITS,
  keyBodySchemas,
  keyLimitsSchema,
  rotateKeyBodySchema,
  updateKeyBodySchema,
} from "./keys.ts";

describe("the key bodies", () => {
  it("fill in what a new key leaves out", () => {
    expect(createKeyBodySchema.parse({ name: " ci " })).toEqual({
      name: "ci",
      scopes: ["generate", "read"],
      limits: DEFAULT_KEY_LIMITS,
    });
    expect(createKeyBodySchema.parse({ name: "ci", limits: { concurrency: 2 } }).limits).toEqual({
      ...DEFAULT_KEY_LIMITS,
      concurrency: 2,
    });
    expect(rotateKeyBodySchema.parse({}).grace_seconds).toBe(86_400);
  });

  it("read allowed_ips with the reader they are given, naming the entry it refuses", () => {
    const { create, update } = keyBodySchemas((text) => (text.startsWith("10.") ? "10.0.0.0/8" : null));
    // Two ways of writing one range are one range.
    expect(create.parse({ name: "a", allowed_ips: ["10.1.2.3/8", " 10.9.9.9/8"] }).allowed_ips).toEqual([
      "10.0.0.0/8",
    ]);
    const refused = update.safeParse({ allowed_ips: ["10.0.0.1", "nope"] });
    expect(refused.error?.issues[0]).toMatchObject({
      path: ["allowed_ips", 1],
      message: "must be a CIDR range such as 10.0.0.0/8 or 2001:db8::/32",
    });
    // The contract's own bodies take any text there: ranges are the server's to read.
    expect(createKeyBodySchema.parse({ name: "a", allowed_ips: ["nope"] }).allowed_ips).toEqual(["nope"]);
  });

  it("read a stored key's limits from before monthly budgets as having none, and a change as only what it names", () => {
    expect(keyLimitsSchema.parse({ requests_per_minute: 60, concurrency: 2, credits: null })).toEqual({
      requests_per_minute: 60,
      concurrency: 2,
      credits: null,
    });
    expect(
      createKeyBodySchema.parse({ name: "a", limits: { monthly_credits: 5_000, soft_percent: 90 } }).limits,
    ).toEqual({ ...DEFAULT_KEY_LIMITS, monthly_credits: 5_000, soft_percent: 90 });
    // A PATCH of the concurrency must not clear a monthly budget the key has.
    expect(updateKeyBodySchema.parse({ limits: { concurrency: 4 } }).limits).toEqual({ concurrency: 4 });
    expect(updateKeyBodySchema.parse({ limits: { monthly_credits: 1_000 } }).limits).toEqual({
      monthly_credits: 1_000,
    });
    expect(createKeyBodySchema.safeParse({ name: "a", limits: { soft_percent: 0 } }).success).toBe(false);
    expect(createKeyBodySchema.safeParse({ name: "a", limits: { soft_percent: 101 } }).success).toBe(false);
  });

  it("refuse a change that changes nothing, and an admin scope by name", () => {
    expect(updateKeyBodySchema.safeParse({}).success).toBe(false);
    expect(updateKeyBodySchema.safeParse({ models: null }).success).toBe(true);
    const admin = createKeyBodySchema.safeParse({ name: "a", scopes: ["admin"] });
    expect(admin.error?.issues[0]?.message).toMatch(/there is no admin scope/);
  });
});
