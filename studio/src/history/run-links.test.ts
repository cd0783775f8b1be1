import { describe, expect, it } from "vitest";
import { playgroundLinks } from "./run-links.ts";
import { RECORDED_REQUEST } from "./testing.ts";

const RUN = { request: RECORDED_REQUEST, images: [{ seed: 42, url: null, thumb_url: null }] };

const queryOfLink = (link: string | null) =>
  Object.fromEntries(new URLSearchParams((link ?? "").replace(/^\?/, "").replace(/#.*$/, "")));

describe("a run's playground links", () => {
  it("Use all carries the whole request with its seed locked; Remix a new, unlocked seed", () => {
    const links = playgroundLinks(RUN, "", () => 7);
    expect(links.useAll?.endsWith("#/playground")).toBe(true);
    expect(queryOfLink(links.useAll)).toMatchObject({
      prompt: "a harbour",
      steps: "2",
      seed: "42",
      seed_locked: "1",
    });
    const remix = queryOfLink(links.remix);
    expect(remix).toMatchObject({ prompt: "a harbour", seed: "7" });
    expect(remix.seed_locked).toBeUndefined();
  });

  it("Use seed keeps the current form and changes only its seed", () => {
    const links = playgroundLinks(RUN, "?prompt=a+fox&steps=9&seed=1");
    expect(queryOfLink(links.useSeed)).toEqual({ prompt: "a fox", steps: "9", seed: "42", seed_locked: "1" });
  });

  it("offers no form link for a record it cannot read", () => {
    const links = playgroundLinks({ request: { prompt: "x" }, images: [] }, "");
    expect(links).toEqual({ useAll: null, remix: null, useSeed: null });
  });
});
