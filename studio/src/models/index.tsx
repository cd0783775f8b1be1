import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { StudioContext } from "../shell/studio-context.ts";

type ModelsComponent = ComponentType<{ studio: StudioContext }>;

/**
 * The Models page (`#/models`, `#/models/<id>`), loaded when first opened: the registry's views are
 * for the few who govern models, so their code stays out of everyone's first load.
 */
export function ModelsPage(props: { studio: StudioContext }) {
  const [Models, setModels] = useState<ModelsComponent | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    import("./models-page.tsx").then(
      (module) => setModels(() => module.Models),
      (error: unknown) => setFailed(String(error)),
    );
  }, []);
  if (failed !== null) return <p role="alert">The Models page did not load: {failed}</p>;
  return Models === null ? <p>Loading…</p> : <Models studio={props.studio} />;
}
