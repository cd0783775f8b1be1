import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkPromptPolicy,
  globMatches,
  isWholeWord,
  type PromptPolicy,
  promptPolicySchema,
  TermMatcher,
} from "./prompt-policy.ts";

const ok = { width: 512, height: 512, steps: 30, n: 1 };

function policy(rules: unknown[], extra: object = {}): PromptPolicy {
  return promptPolicySchema.parse({
    id: "pol_test",
    scope: { team_id: "team_0123456789abcdef" },
    rules,
    ...extra,
  });
}

describe("promptPolicySchema", () => {
  it("defaults a rule to block, word match on the prompt, and the policy to not recording prompts", () => {
    const parsed = policy([{ id: "no-cats", kind: "blocked_terms", terms: ["cat"] }]);
    expect(parsed.record_prompt).toBe(false);
    expect(parsed.rules[0]).toMatchObject({ action: "block", match: "word", fields: ["prompt"] });
  });

  it("refuses duplicate rule ids, globs of only '*', and glob parts over 31 characters", () => {
    const parse = (rules: unknown[]) =>
      promptPolicySchema.safeParse({ id: "pol_x", scope: { team_id: "team_0123456789abcdef" }, rules })
        .success;
    expect(
      parse([
        { id: "a", kind: "max_n", max: 1 },
        { id: "a", kind: "max_steps", max: 1 },
      ]),
    ).toBe(false);
    expect(parse([{ id: "a", kind: "blocked_patterns", patterns: ["**"] }])).toBe(false);
    expect(parse([{ id: "a", kind: "blocked_patterns", patterns: [`${"x".repeat(32)}*`] }])).toBe(false);
    expect(parse([{ id: "a", kind: "max_size" }])).toBe(false);
  });

  it("has an alias scope ready beside the team scope", () => {
    const parsed = promptPolicySchema.parse({
      id: "pol_a",
      scope: { model: "sdxl", alias: "safe" },
      rules: [],
    });
    expect(parsed.scope).toEqual({ model: "sdxl", alias: "safe" });
  });
});

describe("checkPromptPolicy", () => {
  const rules = policy([
    { id: "no-gore", kind: "blocked_terms", terms: ["Gore", "blood bath"] },
    { id: "no-logo", kind: "blocked_terms", terms: ["logo"], match: "substring", action: "reject" },
    {
      id: "no-celebs",
      kind: "blocked_patterns",
      patterns: ["taylor*sw?ft"],
      fields: ["prompt", "negative_prompt"],
    },
    { id: "small", kind: "max_size", max_pixels: 768 * 768, action: "reject" },
    { id: "few-steps", kind: "max_steps", max: 40, action: "reject" },
    { id: "one", kind: "max_n", max: 2, action: "reject" },
    { id: "safe-neg", kind: "required_negative_prompt", terms: ["nsfw"] },
  ]);
  const neg = "nsfw, blurry";

  it("sees a term inside a word only with a substring rule, and passes a request within every rule", () => {
    expect(
      checkPromptPolicy(rules, { ...ok, prompt: "a gory logotype? no: a cat", negative_prompt: neg }),
    ).toEqual({
      ok: false,
      rule_id: "no-logo",
      status: 400,
      code: "policy_rejected",
      param: "prompt",
      message: expect.stringContaining("'no-logo'"),
    });
    expect(checkPromptPolicy(rules, { ...ok, prompt: "a gory cat", negative_prompt: neg })).toEqual({
      ok: true,
    });
  });

  it("names the first broken rule, its status and the field", () => {
    const check = (request: object) =>
      checkPromptPolicy(rules, { ...ok, prompt: "a cat", negative_prompt: neg, ...request });
    expect(check({ prompt: "ＧＯＲＥ everywhere" })).toMatchObject({
      rule_id: "no-gore",
      status: 403,
      param: "prompt",
    });
    expect(check({ prompt: "a  blood\n bath" })).toMatchObject({ rule_id: "no-gore" });
    expect(check({ negative_prompt: "nsfw, taylor  swift" })).toMatchObject({
      rule_id: "no-celebs",
      param: "negative_prompt",
    });
    expect(check({ width: 1024, height: 1024 })).toMatchObject({
      rule_id: "small",
      status: 400,
      param: "size",
    });
    expect(check({ steps: 50 })).toMatchObject({ rule_id: "few-steps", param: "steps" });
    expect(check({ n: 3 })).toMatchObject({ rule_id: "one", param: "n" });
    expect(check({ negative_prompt: "blurry" })).toMatchObject({
      rule_id: "safe-neg",
      param: "negative_prompt",
    });
    expect(check({ negative_prompt: undefined })).toMatchObject({ rule_id: "safe-neg" });
  });
});

// The reference: every term tried at every position, the obvious way.
function naiveHits(terms: string[], text: string, wholeWord: boolean): Set<number> {
  const chars = [...text];
  const hits = new Set<number>();
  terms.forEach((term, index) => {
    const t = [...term];
    for (let start = 0; start + t.length <= chars.length; start++) {
      if (
        t.every((ch, j) => chars[start + j] === ch) &&
        (!wholeWord || isWholeWord(chars, start, start + t.length))
      )
        hits.add(index);
    }
  });
  return hits;
}

function automatonHits(terms: string[], text: string, wholeWord: boolean): Set<number> {
  const chars = [...text];
  const hits = new Set<number>();
  new TermMatcher(terms).scan(chars, (term, start, end) => {
    if (!wholeWord || isWholeWord(chars, start, end)) hits.add(term);
    return false;
  });
  return hits;
}

// A glob the slow, obvious way: try every split, anchored at every start.
function naiveGlob(text: string[], pattern: string[]): boolean {
  const at = (i: number, j: number): boolean => {
    if (j === pattern.length) return true;
    if (pattern[j] === "*") return at(i, j + 1) || (i < text.length && at(i + 1, j));
    return i < text.length && (pattern[j] === "?" || pattern[j] === text[i]) && at(i + 1, j + 1);
  };
  return text.some((_, i) => at(i, 0)) || at(text.length, 0);
}

describe("matching agrees with a naive reference", () => {
  const small = fc.string({ unit: fc.constantFrom("a", "b", " ", "c"), maxLength: 40 });
  const termArb = fc
    .string({ unit: fc.constantFrom("a", "b", " ", "c"), minLength: 1, maxLength: 5 })
    .filter((t) => t.replace(/\s+/g, " ").trim() === t && t !== "");

  it("Aho–Corasick finds the terms a naive scan finds, substring and whole word", () => {
    fc.assert(
      fc.property(
        fc.array(termArb, { minLength: 1, maxLength: 12 }),
        small,
        fc.boolean(),
        (terms, raw, word) => {
          const text = raw.replace(/\s+/g, " ").trim();
          expect(automatonHits(terms, text, word)).toEqual(naiveHits(terms, text, word));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("globs match as a naive backtracking matcher does", () => {
    const patternArb = fc.string({ unit: fc.constantFrom("a", "b", "?", "*"), minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(
        patternArb,
        fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 24 }),
        (pattern, text) => {
          expect(globMatches([...text], pattern)).toBe(naiveGlob([...text], [...pattern]));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("time linear in the prompt", () => {
  // Terms `a…ab` of every length: a naive scan over `aaaa…` would try each at each position.
  const terms = Array.from({ length: 1000 }, (_, i) => `${"a".repeat((i % 190) + 1)}b${i}`);
  const adversarial = policy([
    { id: "many", kind: "blocked_terms", terms, match: "substring" },
    {
      id: "globs",
      kind: "blocked_patterns",
      patterns: ["a*a*a*a*a*a*a*a*b", "?????????????????????????????b"],
    },
  ]);

  function timeMs(length: number): number {
    const prompt = "a".repeat(length);
    let best = Number.POSITIVE_INFINITY;
    // The best of several runs, after the JIT has warmed up, so noise does not decide.
    for (let i = 0; i < 8; i++) {
      const start = performance.now();
      expect(checkPromptPolicy(adversarial, { ...ok, prompt }).ok).toBe(true);
      best = Math.min(best, performance.now() - start);
    }
    return best;
  }

  it("checks a 4,000-character adversarial prompt against 1,000 terms in a few ms, and twice the prompt in about twice the time", () => {
    timeMs(4000);
    const at2k = timeMs(2000);
    const at4k = timeMs(4000);
    console.log(`prompt policy: 2,000 chars ${at2k.toFixed(2)} ms, 4,000 chars ${at4k.toFixed(2)} ms`);
    expect(at4k).toBeLessThan(20);
    // Linear: doubling the text roughly doubles the time (quadratic would be ×4); slack for noise.
    expect(at4k).toBeLessThan(at2k * 3 + 1);
  });
});
