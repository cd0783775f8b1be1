import { isSdgateApiError, type Sdgate } from "@sdgate/sdk";
import type { Run, RunListQuery } from "@sdgate/shared";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/** Runs fetched per page as the person scrolls (the API's most). */
export const RUNS_PER_PAGE = 100;

export interface RunPages {
  runs: Run[];
  /** Every page is here (the last page's `next_before` was `null`). */
  complete: boolean;
  loading: boolean;
  error: string | null;
  /** Fetches the next (older) page, unless one is on its way or there is none. */
  more: () => void;
  /** Puts a changed run (annotated) in place of the old. */
  replace: (run: Run) => void;
}

/**
 * The run history for a query, page by page (`next_before`), newest first; a new query starts over
 * and answers to an old one are dropped.
 *
 * @example
 * const pages = useRunPages(client, { status: "failed" });
 */
export function useRunPages(client: Sdgate, query: Omit<RunListQuery, "before">): RunPages {
  const queryKey = JSON.stringify(query);
  const [runs, setRuns] = useState<Run[]>([]);
  const [next, setNext] = useState<string | null | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const generation = useRef(0);
  const inFlight = useRef(false);

  const fetchPage = useCallback(
    (before: string | undefined, mine: number) => {
      inFlight.current = true;
      setLoading(true);
      const asked = JSON.parse(queryKey) as Omit<RunListQuery, "before">;
      client.runs
        .list({ ...asked, limit: RUNS_PER_PAGE, ...(before === undefined ? {} : { before }) })
        .then(
          (page) => {
            if (mine !== generation.current) return;
            setRuns((old) => (before === undefined ? page.data : [...old, ...page.data]));
            setNext(page.next_before);
            setError(null);
          },
          (failure: unknown) => {
            if (mine === generation.current)
              setError(isSdgateApiError(failure) ? failure.message : String(failure));
          },
        )
        .finally(() => {
          if (mine !== generation.current) return;
          inFlight.current = false;
          setLoading(false);
        });
    },
    [client, queryKey],
  );

  useEffect(() => {
    generation.current += 1;
    setRuns([]);
    setNext(undefined);
    fetchPage(undefined, generation.current);
  }, [fetchPage]);

  const more = useCallback(() => {
    if (inFlight.current || typeof next !== "string") return;
    fetchPage(next, generation.current);
  }, [fetchPage, next]);

  const replace = useCallback((run: Run) => {
    setRuns((old) => old.map((kept) => (kept.id === run.id ? run : kept)));
  }, []);

  return { runs, complete: next === null, loading, error, more, replace };
}
