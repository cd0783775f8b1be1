import "./share.css";
import { isSdgateApiError, Sdgate } from "@sdgate/sdk";
import type { SharedView } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { CompareView } from "../compare/compare-view.tsx";
import { comparedOf } from "../compare/compared-run.ts";
import { ParamDiff } from "../compare/param-diff.tsx";
import type { Route } from "../shell/route.ts";
import { SharedGrid } from "./shared-grid.tsx";

type Loaded = { state: "loading" } | { state: "gone" } | { state: "error"; message: string } | SharedView;

/**
 * A share link's view, `#/share/<token>`, for anyone holding it, signed in or not: read-only, a run
 * with its recipe, runs compared (every compare mode), or a grid.
 */
export function SharedPage(props: { route: Route }) {
  const token = props.route.rest[0] ?? "";
  const [view, setView] = useState<Loaded>({ state: "loading" });
  useEffect(() => {
    // No credential: the token in the path is the permission.
    new Sdgate({ baseUrl: location.origin, maxRetries: 0 }).shares
      .get(token)
      .then(setView, (error: unknown) =>
        setView(
          isSdgateApiError(error) && error.status === 404
            ? { state: "gone" }
            : { state: "error", message: isSdgateApiError(error) ? error.message : String(error) },
        ),
      );
  }, [token]);

  if ("state" in view) {
    if (view.state === "loading") return <p>Loading the shared view…</p>;
    return (
      <section class="card" aria-labelledby="shared-title">
        <h2 id="shared-title">Shared view</h2>
        <p role="alert">
          {view.state === "gone"
            ? "This share link does not exist, has expired or was revoked."
            : `The shared view could not be loaded: ${view.message}`}
        </p>
      </section>
    );
  }
  const byId = new Map(view.runs.map((run) => [run.id, run]));
  const layout = view.layout;
  return (
    <section class="card shared-page" aria-labelledby="shared-title">
      <h2 id="shared-title">{view.title}</h2>
      <p>Shared read-only · the link works until {new Date(view.expires_at).toLocaleString()}</p>
      {layout.kind === "comparison" ? (
        <CompareView
          runs={layout.runs.flatMap((id) => byId.get(id) ?? []).map((run, index) => comparedOf(run, index))}
        />
      ) : null}
      {layout.kind === "grid" ? <SharedGrid layout={layout} runs={view.runs} /> : null}
      {layout.kind === "run" ? <SharedRunView run={view.runs[0]} /> : null}
    </section>
  );
}

function SharedRunView(props: { run: SharedView["runs"][number] | undefined }) {
  const { run } = props;
  if (run === undefined) return <p>The run is no longer kept.</p>;
  const compared = comparedOf(run, 0);
  return (
    <div class="shared-run">
      <ul class="shared-images">
        {run.images.map((image, index) =>
          image.url === null ? null : (
            <li key={image.seed}>
              <img src={image.url} alt={`Shared result ${index + 1}, seed ${image.seed}`} />
            </li>
          ),
        )}
      </ul>
      <ParamDiff runs={[{ ...compared, label: "Recipe" }]} />
    </div>
  );
}
