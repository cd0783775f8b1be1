import { describe, expect, it } from "vitest";
import { z } from "zod";
import { strictly } from "./testing.ts";

const schema = z.object({
  id: z.string(),
  items: z.array(z.object({ n: z.number() })).min(1),
  owner: z.object({ name: z.string() }).nullable(),
  extra: z.union([z.object({ a: z.number() }), z.object({ b: z.number() })]).optional(),
  labels: z.record(z.string(), z.object({ v: z.string() })),
});

describe("strictly", () => {
  it("accepts what the schema names, at every depth", () => {
    const value = {
      id: "x",
      items: [{ n: 1 }],
      owner: { name: "o" },
      extra: { b: 2 },
      labels: { team: { v: "t" } },
    };
    expect(strictly(schema).parse(value)).toEqual(value);
  });

  it("refuses a key the schema does not name, however deep, where .strict() sees only the top", () => {
    const base = { id: "x", items: [{ n: 1 }], owner: null, labels: {} };
    for (const [value, path] of [
      [{ ...base, items: [{ n: 1, stray: true }] }, ["items", 0]],
      [{ ...base, owner: { name: "o", stray: true } }, ["owner"]],
      [{ ...base, extra: { a: 1, stray: true } }, ["extra"]],
      [{ ...base, labels: { team: { v: "t", stray: true } } }, ["labels", "team"]],
      [{ ...base, stray: true }, []],
    ] as const) {
      expect(schema.strict().safeParse(value).success).toBe(path.length > 0);
      const parsed = strictly(schema).safeParse(value);
      expect(parsed.success, JSON.stringify(value)).toBe(false);
      expect(parsed.error?.issues[0]?.path.slice(0, path.length)).toEqual(path);
    }
  });

  it("keeps each schema's own checks", () => {
    expect(strictly(schema).safeParse({ id: "x", items: [], owner: null, labels: {} }).success).toBe(false);
  });
});
