import type { Sdgate } from "@sdgate/sdk";
import type { Run } from "@sdgate/shared";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { useReload } from "../components/use-reload.ts";
import { hrefOf } from "../shell/route.ts";
import { type Choice, FilterBar } from "./filter-bar.tsx";
import { type HistoryFilters, listQueryOf } from "./filters.ts";
import { RunDetail } from "./run-detail.tsx";
import { RunRow } from "./run-row.tsx";
import { useRunPages } from "./use-run-pages.ts";
import { VirtualList } from "./virtual-list.tsx";

/** Each row's height in CSS pixels; history.css's `.virtual-list li` agrees. */
const ROW_PX = 64;

/** Whose runs the person sees: themselves and their Studio key are named, others by id. */
export interface Viewer {
  /** The person's user id (`null`: not a person, e.g. the admin token). */
  personId: string | null;
  studioKeyId: string | null;
}

/**
 * A run opened by its link (`#/history/<id>`) that the loaded pages do not hold: read on its own
 * (`GET /v1/runs/{id}`); `"missing"` when the team has no such run.
 */
function useLinkedRun(client: Sdgate, id: string | null): Run | "missing" | null {
  const [reading] = useReload(
    () => (id === null ? Promise.resolve(null) : client.runs.get(id)),
    [client, id],
  );
  return reading.state === "ok" ? reading.data : reading.state === "error" ? "missing" : null;
}

/**
 * A filterable, virtualised list of the team's runs beside the open run's detail, with a Compare
 * selection. Used by the History (every run) and by an experiment's page (its runs).
 */
export function RunsBrowser(props: {
  client: Sdgate;
  viewer: Viewer;
  filters: HistoryFilters;
  fixed?: ReadonlyArray<keyof HistoryFilters>;
  onFilters: (filters: HistoryFilters) => void;
  openRunId: string | null;
  hrefOfRun: (id: string) => string;
}) {
  const { client, viewer, filters } = props;
  const query = useMemo(() => listQueryOf(filters), [filters]);
  const pages = useRunPages(client, query);
  const [models, setModels] = useState<string[]>([]);
  const [experiments, setExperiments] = useState<string[]>([]);
  const [seen, setSeen] = useState<{ people: Map<string, string>; keys: Map<string, string> }>(() => ({
    people: new Map(),
    keys: new Map(),
  }));
  const [selected, setSelected] = useState<string[]>([]);

  useEffect(() => {
    client.models.list().then(
      ({ data }) => setModels(data.map((model) => model.id)),
      () => undefined,
    );
    client.runs.experiments().then(
      ({ data }) => setExperiments(data.map((e) => e.name)),
      () => undefined,
    );
  }, [client]);

  // People and keys to filter by: those of the runs seen so far, by name (ids where a name is gone).
  useEffect(() => {
    setSeen((old) => {
      const people = new Map(old.people);
      const keys = new Map(old.keys);
      for (const run of pages.runs) {
        if (run.person !== null) people.set(run.person, run.person_name ?? run.person);
        keys.set(run.key_id, run.key_name ?? run.key_id);
      }
      return people.size === old.people.size && keys.size === old.keys.size ? old : { people, keys };
    });
  }, [pages.runs]);

  const people: Choice[] = [...seen.people].map(([id, name]) => [id, id === viewer.personId ? "Me" : name]);
  if (viewer.personId !== null && !seen.people.has(viewer.personId)) people.unshift([viewer.personId, "Me"]);
  const keys: Choice[] = [...seen.keys].map(([id, name]) => [
    id,
    id === viewer.studioKeyId ? "My Studio key" : name,
  ]);
  if (viewer.studioKeyId !== null && !seen.keys.has(viewer.studioKeyId))
    keys.unshift([viewer.studioKeyId, "My Studio key"]);

  const loaded = pages.runs.find((run) => run.id === props.openRunId) ?? null;
  const linked = useLinkedRun(client, loaded === null ? props.openRunId : null);
  const open = loaded ?? (linked === "missing" ? null : linked);
  const toggle = useCallback((id: string, on: boolean) => {
    setSelected((old) =>
      on ? [...old.filter((kept) => kept !== id), id] : old.filter((kept) => kept !== id),
    );
  }, []);

  return (
    <div class="runs-browser">
      <FilterBar
        filters={filters}
        models={models}
        people={people}
        keys={keys}
        experiments={experiments}
        {...(props.fixed === undefined ? {} : { fixed: props.fixed })}
        onChange={props.onFilters}
      />
      <div class="compare-bar row">
        <p role="status" aria-label="Runs shown">
          {pages.error !== null
            ? ""
            : `${pages.runs.length}${pages.complete ? "" : "+"} run${pages.runs.length === 1 ? "" : "s"}${pages.loading ? ", loading…" : ""}`}
        </p>
        {selected.length < 2 ? (
          <span class="hint">Tick two or more runs to compare them.</span>
        ) : (
          <a class="button" href={hrefOf("compare", [], { runs: selected.join(",") })}>
            Compare {selected.length} runs
          </a>
        )}
      </div>
      {pages.error === null ? null : <p role="alert">{pages.error}</p>}
      <div class={`runs-columns${open === null ? "" : " with-detail"}`}>
        {pages.runs.length === 0 && pages.complete ? (
          <p>No runs match these filters.</p>
        ) : (
          <VirtualList<Run>
            items={pages.runs}
            rowPx={ROW_PX}
            label="Runs"
            keyOf={(run) => run.id}
            onNearEnd={pages.more}
            render={(run) => (
              <RunRow
                run={run}
                href={props.hrefOfRun(run.id)}
                open={run.id === props.openRunId}
                selected={selected.includes(run.id)}
                onSelect={(on) => toggle(run.id, on)}
              />
            )}
          />
        )}
        {linked === "missing" ? (
          <p role="status">Run {props.openRunId} is not one of your team's runs, or it has been deleted.</p>
        ) : null}
        {open === null ? null : (
          <RunDetail client={client} run={open} you={viewer.personId} onSaved={pages.replace} />
        )}
      </div>
    </div>
  );
}
