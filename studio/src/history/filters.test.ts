import { describe, expect, it } from "vitest";
import { filtersOf, listQueryOf, NO_FILTERS, queryOfFilters } from "./filters.ts";

describe("the History's filters", () => {
  it("round-trip through the hash query and become the list's query", () => {
    const filters = { ...NO_FILTERS, model: "tiny", status: "failed" as const, q: "  fox ", person: "usr_1" };
    const query = queryOfFilters(filters);
    expect(query).toEqual({ model: "tiny", status: "failed", q: "  fox ", person: "usr_1" });
    expect(filtersOf(new URLSearchParams(query))).toEqual(filters);
    expect(listQueryOf(filters)).toEqual({ model: "tiny", status: "failed", q: "fox", person: "usr_1" });
  });

  it("ignores a status that is not one, and a blank search", () => {
    expect(filtersOf(new URLSearchParams("status=exploded&q=%20")).status).toBe("");
    expect(listQueryOf(filtersOf(new URLSearchParams("q=%20")))).toEqual({});
  });
});
