import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { StudioContext } from "../shell/studio-context.ts";

type Page = ComponentType<{ studio: StudioContext }>;

/**
 * The sweeps pages (`#/sweeps`, `#/sweeps/<id>`), loaded when first opened: the grid viewer and
 * builder stay out of the Studio's first load.
 */
export function SweepsPage(props: { studio: StudioContext }) {
  const [Loaded, setLoaded] = useState<Page | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    import("./sweeps-page.tsx").then(
      (module) => setLoaded(() => module.Sweeps),
      (error: unknown) => setFailed(String(error)),
    );
  }, []);
  if (failed !== null) return <p role="alert">The sweeps page did not load: {failed}</p>;
  return Loaded === null ? <p>Loading sweeps…</p> : <Loaded studio={props.studio} />;
}
