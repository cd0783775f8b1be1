import { z } from "zod";
import { TEAM_ID_PATTERN } from "./directory.ts";
import { SAFETY_SETTINGS } from "./safety.ts";

/** A policy's id (`pol_` and a slug or hex). */
export const POLICY_ID_PATTERN = /^pol_[a-z0-9_-]{1,64}$/;
/** A rule's id: a stable slug that refusals name. */
export const POLICY_RULE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Bounds that keep a policy's automaton small whatever an admin writes. */
export const MAX_POLICY_RULES = 64;
export const MAX_POLICY_TERMS = 2000;
export const MAX_POLICY_TERM_CHARS = 200;
/** A glob segment (the text between two `*`) is matched with one 31-bit word (shift-and). */
export const MAX_GLOB_SEGMENT_CHARS = 31;

const term = z.string().trim().min(1).max(MAX_POLICY_TERM_CHARS);
const fields = z
  .array(z.enum(["prompt", "negative_prompt"]))
  .min(1)
  .default(["prompt"]);
const limit = z.number().int().min(1);

// A glob: `*` any run of characters, `?` one character, anything else itself; it may match anywhere
// in the text. No JavaScript RegExp from users: a backtracking engine is exponential on some patterns.
const glob = z
  .string()
  .min(1)
  .max(MAX_POLICY_TERM_CHARS)
  .refine((pattern) => pattern.replaceAll("*", "") !== "", "must contain something besides '*'")
  .refine(
    (pattern) => pattern.split("*").every((part) => [...normalise(part)].length <= MAX_GLOB_SEGMENT_CHARS),
    `each part between '*' must be at most ${MAX_GLOB_SEGMENT_CHARS} characters`,
  );

const ruleBase = {
  id: z.string().regex(POLICY_RULE_ID_PATTERN, "must be a slug (a-z, 0-9, '-', '_')"),
  /** `block`: 403, the content is not allowed; `reject`: 400, the request is out of bounds. */
  action: z.enum(["block", "reject"]).default("block"),
};

export const policyRuleSchema = z.discriminatedUnion("kind", [
  z.object({
    ...ruleBase,
    kind: z.literal("blocked_terms"),
    terms: z.array(term).min(1).max(MAX_POLICY_TERMS),
    /** `word`: the term with no letter or digit on either side; `substring`: anywhere. */
    match: z.enum(["word", "substring"]).default("word"),
    fields,
  }),
  z.object({
    ...ruleBase,
    kind: z.literal("blocked_patterns"),
    patterns: z.array(glob).min(1).max(64),
    fields,
  }),
  z
    .object({
      ...ruleBase,
      kind: z.literal("max_size"),
      max_width: limit.optional(),
      max_height: limit.optional(),
      max_pixels: limit.optional(),
    })
    .refine((rule) => rule.max_width ?? rule.max_height ?? rule.max_pixels, "names no limit"),
  z.object({ ...ruleBase, kind: z.literal("max_steps"), max: limit }),
  z.object({ ...ruleBase, kind: z.literal("max_n"), max: limit }),
  z.object({
    ...ruleBase,
    kind: z.literal("required_negative_prompt"),
    terms: z.array(term).min(1).max(64),
  }),
]);
export type PolicyRule = z.infer<typeof policyRuleSchema>;

/** Whom a policy binds: a team's keys, or (once aliases exist) every request for a model's alias. */
export const policyScopeSchema = z.union([
  z.object({ team_id: z.string().regex(TEAM_ID_PATTERN, "must be a team's id (team_…)") }).strict(),
  z.object({ model: z.string().min(1), alias: z.string().min(1) }).strict(),
]);
export type PolicyScope = z.infer<typeof policyScopeSchema>;

export const promptPolicySchema = z.object({
  id: z.string().regex(POLICY_ID_PATTERN, "must be a policy id (pol_…)"),
  scope: policyScopeSchema,
  rules: z
    .array(policyRuleSchema)
    .max(MAX_POLICY_RULES)
    .refine((rules) => new Set(rules.map((r) => r.id)).size === rules.length, "rule ids must be unique")
    .refine(
      (rules) => rules.reduce((n, r) => n + ("terms" in r ? r.terms.length : 0), 0) <= MAX_POLICY_TERMS,
      `at most ${MAX_POLICY_TERMS} terms in all`,
    ),
  /** Whether an audited violation keeps the prompt's text; by default only the rule is recorded. */
  record_prompt: z.boolean().default(false),
});
export type PromptPolicy = z.infer<typeof promptPolicySchema>;
/** A policy as written, before defaults (`action`, `match`, `fields`, `record_prompt`). */
export type PromptPolicyInput = z.input<typeof promptPolicySchema>;

/** What a policy sees of a resolved generation request (size: the output's, after any hires pass). */
export interface PolicyRequest {
  prompt: string;
  negative_prompt?: string | undefined;
  width: number;
  height: number;
  steps: number;
  n: number;
}

export type PolicyParam = "prompt" | "negative_prompt" | "size" | "steps" | "n";
export type PolicyVerdict =
  | { ok: true }
  | {
      ok: false;
      rule_id: string;
      /** `block` rules: 403 `policy_violation`; `reject` rules: 400 `policy_rejected`. */
      status: 400 | 403;
      code: "policy_violation" | "policy_rejected";
      param: PolicyParam;
      message: string;
    };

/** Case-folded (NFKC, then lower case) with runs of white space made one space, as code points. */
function normalise(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/gu, " ").trim();
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;

// Aho–Corasick (Aho & Corasick 1975, "Efficient string matching"): one pass over the text finds
// every occurrence of every term, in time linear in the text plus the matches reported.
interface AcNode {
  next: Map<string, number>;
  fail: number;
  /** Terms ending here, this node's and its failure chain's (`outputLink` walks the rest). */
  terms: number[];
  outputLink: number;
}

/** An automaton over many terms, each with its length in code points; reports (term, start, end). */
export class TermMatcher {
  readonly #nodes: AcNode[] = [{ next: new Map(), fail: 0, terms: [], outputLink: -1 }];
  readonly lengths: number[] = [];

  constructor(terms: readonly string[]) {
    for (const [index, raw] of terms.entries()) {
      const chars = [...normalise(raw)];
      this.lengths.push(chars.length);
      let state = 0;
      for (const ch of chars) {
        let next = this.#nodes[state]?.next.get(ch);
        if (next === undefined) {
          next = this.#nodes.length;
          this.#nodes.push({ next: new Map(), fail: 0, terms: [], outputLink: -1 });
          this.#nodes[state]?.next.set(ch, next);
        }
        state = next;
      }
      this.#node(state).terms.push(index);
    }
    const queue: number[] = [...this.#node(0).next.values()];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      const node = this.#node(state);
      for (const [ch, child] of node.next) {
        let fail = node.fail;
        while (fail !== 0 && !this.#node(fail).next.has(ch)) fail = this.#node(fail).fail;
        const target = this.#node(fail).next.get(ch);
        const childNode = this.#node(child);
        childNode.fail = target !== undefined && target !== child ? target : 0;
        const failNode = this.#node(childNode.fail);
        childNode.outputLink = failNode.terms.length > 0 ? childNode.fail : failNode.outputLink;
        queue.push(child);
      }
    }
  }

  #node(state: number): AcNode {
    return this.#nodes[state] as AcNode;
  }

  /** Calls `found(term, start, end)` (code-point offsets in `chars`) per occurrence; stops when it returns true. */
  scan(chars: readonly string[], found: (term: number, start: number, end: number) => boolean): void {
    let state = 0;
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i] as string;
      while (state !== 0 && !this.#node(state).next.has(ch)) state = this.#node(state).fail;
      state = this.#node(state).next.get(ch) ?? 0;
      for (let out = state; out !== -1; out = this.#node(out).outputLink) {
        for (const term of this.#node(out).terms) {
          if (found(term, i + 1 - (this.lengths[term] as number), i + 1)) return;
        }
      }
    }
  }
}

/** Whether `chars[start, end)` has no letter, digit or `_` on either side. */
export function isWholeWord(chars: readonly string[], start: number, end: number): boolean {
  const before = chars[start - 1];
  const after = chars[end];
  return (before === undefined || !WORD_CHAR.test(before)) && (after === undefined || !WORD_CHAR.test(after));
}

// Shift-and (Baeza-Yates & Gonnet 1992) for one glob segment: `?` sets its bit in every mask, so a
// segment of up to 31 code points is found in one pass with one machine word of state.
function findSegment(chars: readonly string[], from: number, segment: readonly string[]): number {
  if (segment.length === 0) return from;
  const masks = new Map<string, number>();
  let wildcard = 0;
  segment.forEach((ch, j) => {
    if (ch === "?") wildcard |= 1 << j;
  });
  segment.forEach((ch, j) => {
    if (ch !== "?") masks.set(ch, (masks.get(ch) ?? wildcard) | (1 << j));
  });
  const last = 1 << (segment.length - 1);
  let state = 0;
  for (let i = from; i < chars.length; i++) {
    state = ((state << 1) | 1) & (masks.get(chars[i] as string) ?? wildcard);
    if (state & last) return i + 1;
  }
  return -1;
}

/**
 * Whether the glob matches somewhere in `chars`. Segments between `*` are found leftmost-first, each
 * starting where the previous ended: that greedy choice is exact for unanchored globs, and scans the
 * text once per pattern.
 */
export function globMatches(chars: readonly string[], pattern: string): boolean {
  let at = 0;
  for (const part of pattern.split("*")) {
    at = findSegment(chars, at, [...normalise(part)]);
    if (at === -1) return false;
  }
  return true;
}

interface Compiled {
  matcher: TermMatcher;
  /** For each term of the automaton, its rule's index. */
  ruleOf: number[];
}

const compiled = new WeakMap<PromptPolicy, Compiled>();

function compile(policy: PromptPolicy): Compiled {
  const known = compiled.get(policy);
  if (known) return known;
  const terms: string[] = [];
  const ruleOf: number[] = [];
  policy.rules.forEach((rule, index) => {
    if (rule.kind !== "blocked_terms" && rule.kind !== "required_negative_prompt") return;
    for (const t of rule.terms) {
      terms.push(t);
      ruleOf.push(index);
    }
  });
  const made = { matcher: new TermMatcher(terms), ruleOf };
  compiled.set(policy, made);
  return made;
}

function refusal(rule: PolicyRule, param: PolicyParam, why: string): PolicyVerdict {
  return {
    ok: false,
    rule_id: rule.id,
    status: rule.action === "block" ? 403 : 400,
    code: rule.action === "block" ? "policy_violation" : "policy_rejected",
    param,
    message: `The request breaks the prompt policy's rule '${rule.id}': ${why}.`,
  };
}

/** Per rule, the first field it was hit in (blocked terms) or the terms found (required ones). */
function termHits(policy: PromptPolicy, texts: Record<"prompt" | "negative_prompt", string[]>) {
  const { matcher, ruleOf } = compile(policy);
  const blockedIn = new Map<number, "prompt" | "negative_prompt">();
  const foundRequired = new Set<number>();
  for (const field of ["prompt", "negative_prompt"] as const) {
    const chars = texts[field];
    matcher.scan(chars, (term, start, end) => {
      const index = ruleOf[term] as number;
      const rule = policy.rules[index] as PolicyRule;
      if (rule.kind === "required_negative_prompt") {
        if (field === "negative_prompt" && isWholeWord(chars, start, end)) foundRequired.add(term);
      } else if (rule.kind === "blocked_terms" && rule.fields.includes(field) && !blockedIn.has(index)) {
        if (rule.match === "substring" || isWholeWord(chars, start, end)) blockedIn.set(index, field);
      }
      return false;
    });
  }
  return { blockedIn, foundRequired };
}

/**
 * Checks a request against a policy's rules in their order; the first broken rule answers. Terms of
 * every rule are matched together in one Aho–Corasick pass per field, globs by one pass each, so the
 * time is linear in the prompt's length (itself bounded by `MAX_PROMPT_CHARS`) for a given policy.
 *
 * @example
 * const verdict = checkPromptPolicy(policy, { prompt: "a cat", width: 512, height: 512, steps: 30, n: 1 });
 * if (!verdict.ok) throw new SdgateError(verdict.code, verdict.message, { param: verdict.param });
 */
export function checkPromptPolicy(policy: PromptPolicy, request: PolicyRequest): PolicyVerdict {
  const texts = {
    prompt: [...normalise(request.prompt)],
    negative_prompt: [...normalise(request.negative_prompt ?? "")],
  };
  const { blockedIn, foundRequired } = termHits(policy, texts);
  const { ruleOf } = compile(policy);
  for (const [index, rule] of policy.rules.entries()) {
    switch (rule.kind) {
      case "blocked_terms": {
        const field = blockedIn.get(index);
        if (field !== undefined) return refusal(rule, field, `'${field}' contains a blocked term`);
        break;
      }
      case "blocked_patterns": {
        for (const field of rule.fields) {
          if (rule.patterns.some((pattern) => globMatches(texts[field], pattern)))
            return refusal(rule, field, `'${field}' matches a blocked pattern`);
        }
        break;
      }
      case "max_size": {
        const { width, height } = request;
        if (rule.max_width !== undefined && width > rule.max_width)
          return refusal(rule, "size", `width ${width} is over ${rule.max_width}`);
        if (rule.max_height !== undefined && height > rule.max_height)
          return refusal(rule, "size", `height ${height} is over ${rule.max_height}`);
        if (rule.max_pixels !== undefined && width * height > rule.max_pixels)
          return refusal(rule, "size", `${width}×${height} is over ${rule.max_pixels} pixels`);
        break;
      }
      case "max_steps":
        if (request.steps > rule.max)
          return refusal(rule, "steps", `${request.steps} steps is over ${rule.max}`);
        break;
      case "max_n":
        if (request.n > rule.max) return refusal(rule, "n", `n ${request.n} is over ${rule.max}`);
        break;
      case "required_negative_prompt": {
        const first = ruleOf.indexOf(index);
        const missing = rule.terms.find((_, j) => !foundRequired.has(first + j));
        if (missing !== undefined)
          return refusal(rule, "negative_prompt", `'negative_prompt' must contain '${missing}'`);
        break;
      }
    }
  }
  return { ok: true };
}

/** `PUT /admin/teams/{id}/policy`: the rules, and whether violations keep the prompt (the id and scope are the edge's). */
export const teamPolicyBodySchema = z.strictObject({
  rules: promptPolicySchema.shape.rules,
  record_prompt: promptPolicySchema.shape.record_prompt,
});
export type TeamPolicyBody = z.input<typeof teamPolicyBodySchema>;

/** `GET /admin/teams/{id}/policy`: the team's prompt policy (`null`: none), and who last set it. */
export const teamPolicyViewSchema = z.object({
  object: z.literal("team.policy"),
  team_id: z.string(),
  policy: promptPolicySchema.nullable(),
  updated_at: z.string().nullable(),
  updated_by: z.string().nullable(),
});
export type TeamPolicyView = z.infer<typeof teamPolicyViewSchema>;

/**
 * `PUT /admin/models/{id}/policies/{alias}`: an alias's prompt policy (as a team's) and the output
 * safety check its requests carry to the backend (`off` by default). The alias `*` is the model's
 * default: it binds pinned versions and the aliases without a policy of their own.
 */
export const aliasPolicyBodySchema = teamPolicyBodySchema.extend({
  safety_check: z.enum(SAFETY_SETTINGS).default("off"),
});
export type AliasPolicyBody = z.input<typeof aliasPolicyBodySchema>;

/** `GET /admin/models/{id}/policies/{alias}`: the alias's policy (`null`: none) and safety check. */
export const aliasPolicyViewSchema = z.object({
  object: z.literal("model.policy"),
  model_id: z.string(),
  /** An alias's name, or `*`: the model's default. */
  alias: z.string(),
  policy: promptPolicySchema.nullable(),
  safety_check: z.enum(SAFETY_SETTINGS),
  updated_at: z.string().nullable(),
  updated_by: z.string().nullable(),
});
export type AliasPolicyView = z.infer<typeof aliasPolicyViewSchema>;
