import { describe, expect, it } from "vitest";
import { CENTRE, clampView, cssOf, IDENTITY, MAX_SCALE, panBy, zoomAt } from "./view-transform.ts";

describe("the shared zoom and pan", () => {
  it("zooms about a point, keeping the pixel under it in place", () => {
    const zoomed = zoomAt(IDENTITY, 2, CENTRE);
    expect(zoomed).toEqual({ scale: 2, x: -0.5, y: -0.5 });
    const at = { x: 0.25, y: 0.75 };
    const again = zoomAt(zoomed, 2, at);
    // The image point under `at` before, (at − offset) / scale, is under it still.
    expect((at.x - again.x) / again.scale).toBeCloseTo((at.x - zoomed.x) / zoomed.scale);
    expect((at.y - again.y) / again.scale).toBeCloseTo((at.y - zoomed.y) / zoomed.scale);
    expect(cssOf(zoomed)).toBe("translate(-50%, -50%) scale(2)");
  });

  it("never zooms out past the whole image or in past its limit", () => {
    expect(zoomAt(IDENTITY, 0.5, { x: 0.1, y: 0.1 })).toEqual(IDENTITY);
    expect(zoomAt(IDENTITY, 1000, { x: 0, y: 0 }).scale).toBe(MAX_SCALE);
  });

  it("pans within the image's edges", () => {
    const zoomed = { scale: 2, x: -0.5, y: -0.5 };
    expect(panBy(zoomed, 0.25, -0.25)).toEqual({ scale: 2, x: -0.25, y: -0.75 });
    expect(panBy(zoomed, 5, -5)).toEqual({ scale: 2, x: 0, y: -1 });
    expect(clampView({ scale: 1, x: -0.1, y: 0.1 })).toEqual(IDENTITY);
  });
});
