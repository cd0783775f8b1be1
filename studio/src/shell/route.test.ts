import { describe, expect, it } from "vitest";
import { hrefOf, routeOf } from "./route.ts";

describe("the Studio's routes", () => {
  it("reads the page, its segments and its query from the hash", () => {
    const route = routeOf("#/share/ab%2Fc/x?model=sd15&q=a%20b");
    expect(route.page).toBe("share");
    expect(route.rest).toEqual(["ab/c", "x"]);
    expect(route.query.get("model")).toBe("sd15");
    expect(route.query.get("q")).toBe("a b");
  });

  it("takes an empty or malformed hash as home", () => {
    expect(routeOf("").page).toBe("");
    expect(routeOf("#").page).toBe("");
    expect(routeOf("#/%E0%A4%A").page).toBe("%E0%A4%A");
  });

  it("writes hashes that read back the same", () => {
    const href = hrefOf("history", ["run 1"], { status: "failed", q: "a&b" });
    expect(href).toBe("#/history/run%201?status=failed&q=a%26b");
    const route = routeOf(href);
    expect([route.page, ...route.rest, route.query.get("q")]).toEqual(["history", "run 1", "a&b"]);
  });
});
