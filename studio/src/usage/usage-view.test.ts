import { describe, expect, it } from "vitest";
import { runsHref } from "./drill.ts";
import {
  groupName,
  groupsFor,
  metricsFor,
  periodsOf,
  queryOfState,
  rangeOf,
  stateOfQuery,
} from "./usage-view.ts";

describe("the usage dashboard's state", () => {
  it("comes from the URL and goes back into it, with defaults for what it does not name", () => {
    const state = stateOfQuery(new URLSearchParams("group_by=model&period=7d&metric=images"), {
      moneyOnly: false,
    });
    expect(state).toEqual({ groupBy: "model", period: "7d", metric: "images", teamId: null });
    expect(
      stateOfQuery(new URLSearchParams(new URLSearchParams(queryOfState(state))), { moneyOnly: false }),
    ).toEqual(state);
    expect(stateOfQuery(new URLSearchParams("group_by=x&period=1y&team=nope"), { moneyOnly: false })).toEqual(
      {
        groupBy: "team",
        period: "30d",
        metric: "credits",
        teamId: null,
      },
    );
  });

  it("never offers a money-only person a grouping by person or backend, or GPU-seconds", () => {
    expect(groupsFor(true)).toEqual(["team", "key", "model"]);
    expect(metricsFor(true)).not.toContain("gpu_seconds");
    const state = stateOfQuery(new URLSearchParams("group_by=person&metric=gpu_seconds"), {
      moneyOnly: true,
    });
    expect(state).toMatchObject({ groupBy: "team", metric: "credits" });
  });

  it("covers whole days (or hours) up to now, one period each", () => {
    const range = rangeOf("7d", new Date("2026-12-06T15:20:00Z"));
    expect(range).toEqual({
      from: "2026-11-30T00:00:00.000Z",
      to: "2026-12-06T15:20:00.000Z",
      interval: "day",
    });
    expect(periodsOf(range)).toEqual([
      "2026-11-30",
      "2026-12-01",
      "2026-12-02",
      "2026-12-03",
      "2026-12-04",
      "2026-12-05",
      "2026-12-06",
    ]);
    const hours = periodsOf(rangeOf("24h", new Date("2026-12-06T15:20:00Z")));
    expect(hours).toHaveLength(24);
    expect([hours[0], hours.at(-1)]).toEqual(["2026-12-05T16", "2026-12-06T15"]);
  });

  it("names a group by its name, its id, or what having none means", () => {
    expect(groupName({ group: "team_1", label: "Search" }, "team")).toBe("Search");
    expect(groupName({ group: "sd15", label: null }, "model")).toBe("sd15");
    expect(groupName({ group: null, label: null }, "backend")).toBe("Replay cache");
  });

  it("opens a group's runs in the history where it has a filter, never for a money view", () => {
    expect(runsHref("model", "sd 1.5", "full")).toBe("#/history?model=sd+1.5");
    expect(runsHref("person", "usr_1", "full")).toBe("#/history?person=usr_1");
    expect(runsHref("backend", "gpu-a", "full")).toBeNull();
    expect(runsHref("key", "key_1", "money")).toBeNull();
  });
});
