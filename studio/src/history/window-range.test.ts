import { describe, expect, it } from "vitest";
import { nearEnd, windowRange } from "./window-range.ts";

/** The window over `count` rows of 72 px seen through 600 px, scrolled `scrollTopPx` down. */
const at = (scrollTopPx: number, count = 10_000) =>
  windowRange({ scrollTopPx, viewportPx: 600, rowPx: 72, count });

describe("the History's window of drawn rows", () => {
  it("draws the rows in view and a few either side, never past the list", () => {
    expect(at(0)).toEqual({
      start: 0,
      end: 15,
    });
    expect(at(720)).toEqual({
      start: 5,
      end: 25,
    });
    const bottom = at(72 * 9_995);
    expect(bottom.end).toBe(10_000);
    expect(bottom.end - bottom.start).toBeLessThan(30);
  });

  it("draws nothing for an empty list and stays sane when scrolled past it", () => {
    expect(at(0, 0)).toEqual({
      start: 0,
      end: 0,
    });
    expect(at(99_999, 3)).toEqual({
      start: 3,
      end: 3,
    });
  });

  it("asks for the next page as the drawn rows near the loaded end", () => {
    expect(nearEnd({ end: 30 }, 100)).toBe(false);
    expect(nearEnd({ end: 85 }, 100)).toBe(true);
  });
});
