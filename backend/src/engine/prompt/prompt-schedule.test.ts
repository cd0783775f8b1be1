import { describe, expect, it } from "vitest";
import { isScheduled, promptSchedule } from "./prompt-schedule.ts";

/** A1111's `[[end_at_step, prompt], …]` form, to compare with its doctests as written. */
const g = (prompt: string, steps = 10) => promptSchedule(prompt, steps).map((s) => [s.endAtStep, s.prompt]);

describe("prompt editing and alternation (A1111's doctests of get_learned_conditioning_prompt_schedules)", () => {
  it("switches prompts at a step or a fraction of the steps", () => {
    expect(g("test")).toEqual([[10, "test"]]);
    expect(g("a [b:3]")).toEqual([
      [3, "a "],
      [10, "a b"],
    ]);
    expect(g("a [b: 3]")).toEqual([
      [3, "a "],
      [10, "a b"],
    ]);
    expect(g("a [[[b]]:2]")).toEqual([
      [2, "a "],
      [10, "a [[b]]"],
    ]);
    expect(g("[(a:2):3]")).toEqual([
      [3, ""],
      [10, "(a:2)"],
    ]);
    expect(g("a [b : c : 1] d")).toEqual([
      [1, "a b  d"],
      [10, "a  c  d"],
    ]);
    expect(g("a[b:[c:d:2]:1]e")).toEqual([
      [1, "abe"],
      [2, "ace"],
      [10, "ade"],
    ]);
    expect(g("a [b:.5] c")).toEqual([
      [5, "a  c"],
      [10, "a b c"],
    ]);
  });

  it("keeps unbalanced brackets as written", () => {
    expect(g("a [unbalanced")).toEqual([[10, "a [unbalanced"]]);
    expect(g("((a][:b:c [d:3]")).toEqual([
      [3, "((a][:b:c "],
      [10, "((a][:b:c d"],
    ]);
  });

  it("alternates every step", () => {
    expect(g("[a|(b:1.1)]")).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, i % 2 === 0 ? "a" : "(b:1.1)"]),
    );
    expect(g("[fe|]male")).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, i % 2 === 0 ? "female" : "male"]),
    );
    expect(g("[fe|||]male")).toEqual(
      Array.from({ length: 10 }, (_, i) => [i + 1, i % 4 === 0 ? "female" : "male"]),
    );
  });

  it("uses a prompt the grammar cannot take whole, and keeps escapes for the emphasis parser", () => {
    expect(g("a | b [c:2]")).toEqual([[10, "a | b [c:2]"]]);
    expect(g("a \\[b:2\\] (c:1.2)")).toEqual([[10, "a \\[b:2\\] (c:1.2)"]]);
    expect(isScheduled("a (b:1.2) [c]", 20)).toBe(false);
    expect(isScheduled("a [b:c:0.5]", 20)).toBe(true);
  });

  it("caps a step past the end at the last step and ignores one before the first", () => {
    expect(g("a [b:c:25]")).toEqual([[10, "a b"]]);
    expect(g("a [b:c:0]")).toEqual([[10, "a c"]]);
    expect(g("a [b:c:1.0]")).toEqual([[10, "a b"]]);
  });
});
