import type { Sdgate } from "@sdgate/sdk";
import { hrefOf, navigate } from "../shell/route.ts";
import type { StudioContext } from "../shell/studio-context.ts";
import "./history.css";
import { filtersOf, queryOfFilters } from "./filters.ts";
import { RunsBrowser, type Viewer } from "./runs-browser.tsx";

/** Who is looking, for naming "Me" and "My Studio key" in the filters. */
export function viewerOf(studio: StudioContext): Viewer {
  return {
    personId: studio.principal.kind === "user" ? studio.principal.id : null,
    studioKeyId: studio.key?.id ?? null,
  };
}

/**
 * `#/history[/<run id>]?model=&status=&q=&key=&person=&experiment=`: every run of the person's team,
 * from the Studio and the API, filtered as the URL says, the open run beside the list.
 */
export function HistoryPage(props: { studio: StudioContext; client: Sdgate }) {
  const { route } = props.studio;
  const filters = filtersOf(route.query);
  return (
    <section class="history" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <RunsBrowser
        client={props.client}
        viewer={viewerOf(props.studio)}
        filters={filters}
        onFilters={(next) => navigate("history", [], queryOfFilters(next))}
        openRunId={route.rest[0] ?? null}
        hrefOfRun={(id) => hrefOf("history", [id], queryOfFilters(filters))}
      />
    </section>
  );
}
