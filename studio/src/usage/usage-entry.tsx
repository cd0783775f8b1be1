import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { StudioContext } from "../shell/studio-context.ts";

type Page = ComponentType<{ studio: StudioContext }>;
let loaded: Page | null = null;

/** The usage page, loaded when first opened: its chart and tables stay out of the Studio's first load. */
export function UsageEntry(props: { studio: StudioContext }) {
  const [Usage, setUsage] = useState<Page | null>(() => loaded);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (Usage !== null) return;
    import("./usage-page.tsx").then(
      (module) => {
        loaded = module.UsagePage;
        setUsage(() => module.UsagePage);
      },
      () => setError("The usage page could not be loaded; reload to try again."),
    );
  }, [Usage]);
  if (error !== null) return <p role="alert">{error}</p>;
  return Usage === null ? <p aria-busy="true">Loading usage…</p> : <Usage studio={props.studio} />;
}
