import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import type { Sweep } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { ShareButton } from "../share/share-button.tsx";
import { hrefOf, navigate } from "../shell/route.ts";
import { CellDialog } from "./cell-dialog.tsx";
import { type Grid, gridOf, layoutOf, swapped } from "./grid.ts";
import { gridShareLayout } from "./share-layout.ts";
import { SweepGrid } from "./sweep-grid.tsx";
import { progressText } from "./sweep-list.tsx";

const message = (error: unknown) => (isSdgateApiError(error) ? error.message : String(error));
const POLL_MS = 1_000;

/**
 * Whether any cell still has something coming: running, or waiting for the key's rate or concurrency,
 * which the server's sweep driver submits as they free up (a cell the key or its budget refused has
 * failed and waits for a person: Resume).
 */
const unfinished = (sweep: Sweep) =>
  sweep.totals.running > 0 || (sweep.cancelled_at === null && sweep.totals.pending > 0);

/**
 * One sweep: its progress, cancel and resume, and its grid. While cells run or wait it polls to show
 * progress; the server advances the sweep whether or not the page is open.
 * The layout (`axes`), the Z page (`page`) and the open cell (`cell`) live in the URL.
 */
export function SweepView(props: { client: Sdgate; id: string; query: URLSearchParams }) {
  const { client, id, query } = props;
  const [sweep, setSweep] = useState<Sweep | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const load = async () => {
      try {
        const next = await client.sweeps.get(id);
        if (stopped) return;
        setSweep(next);
        setError(null);
        if (unfinished(next)) timer = setTimeout(load, POLL_MS);
      } catch (failure) {
        if (!stopped) setError(message(failure));
      }
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, id, sweep?.cancelled_at ?? null, busy]);

  if (sweep === null) return error !== null ? <p role="alert">{error}</p> : <p>Loading the sweep…</p>;

  const layout = layoutOf(query, sweep.axes.length);
  const grid = gridOf(sweep, layout);
  const page = Math.min(Number(query.get("page") ?? 0) || 0, grid.pages.length - 1);
  const openIndex = query.get("cell");
  const open = openIndex === null ? undefined : sweep.cells.find((cell) => cell.index === Number(openIndex));
  const go = (changes: Record<string, string | null>) => {
    const next: Record<string, string> = { axes: layout.join(","), page: String(page) };
    if (openIndex !== null) next.cell = openIndex;
    for (const [name, value] of Object.entries(changes))
      if (value === null) delete next[name];
      else next[name] = value;
    navigate("sweeps", [id], next);
  };
  const act = async (action: "cancel" | "resume") => {
    setBusy(true);
    try {
      setSweep(await client.sweeps[action](id));
    } catch (failure) {
      setError(message(failure));
    } finally {
      setBusy(false);
    }
  };
  const resumable = sweep.totals.failed + sweep.totals.cancelled + sweep.totals.pending > 0;

  return (
    <div class="sweep-view">
      <section class="card" aria-labelledby="sweep-title">
        <p>
          <a href={hrefOf("sweeps")}>All sweeps</a>
        </p>
        <h2 id="sweep-title">{sweep.name}</h2>
        <p class="sweep-base">
          {String(sweep.request.prompt ?? "")}
          {typeof sweep.request.model === "string" ? ` · ${sweep.request.model}` : ""}
        </p>
        <p role="status" aria-label="Sweep progress">
          {progressText(sweep)} · priced at {sweep.price.credits} credits
          {sweep.experiment === null ? "" : ` · experiment ${sweep.experiment}`}
        </p>
        {error !== null ? <p role="alert">{error}</p> : null}
        <div class="row">
          <button
            type="button"
            disabled={
              busy || sweep.cancelled_at !== null || sweep.totals.running + sweep.totals.pending === 0
            }
            onClick={() => act("cancel")}
          >
            Cancel sweep
          </button>
          <button type="button" disabled={busy || !resumable} onClick={() => act("resume")}>
            Resume
          </button>
          {grid.axes[1] !== null ? (
            <button type="button" onClick={() => go({ axes: swapped(layout).join(","), page: "0" })}>
              Swap X and Y
            </button>
          ) : null}
          {grid.axes[2] !== null ? (
            <button type="button" onClick={() => go({ axes: swapped(layout, 1, 2).join(","), page: "0" })}>
              Swap Y and Z
            </button>
          ) : null}
        </div>
      </section>
      <SweepGrid
        grid={grid}
        page={page}
        onPage={(next) => go({ page: String(next) })}
        onOpen={(cell) => go({ cell: String(cell) })}
      />
      <SweepShare client={client} grid={grid} page={page} title={sweep.name} />
      {open !== undefined ? (
        <CellDialog cell={open} axes={sweep.axes} onClose={() => go({ cell: null })} />
      ) : null}
    </div>
  );
}

/** Share the page of the grid as it is laid out now: a read-only link that opens without signing in. */
function SweepShare(props: { client: Sdgate; grid: Grid; page: number; title: string }) {
  const shared = gridShareLayout(props.grid, props.page);
  if (!shared.ok)
    return (
      <section class="card" aria-label="Share">
        <p>{shared.reason}</p>
      </section>
    );
  return <ShareButton client={props.client} layout={shared.layout} title={props.title} />;
}
