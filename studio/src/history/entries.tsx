import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { StudioContext } from "../shell/studio-context.ts";

type Page = ComponentType<{ studio: StudioContext; client: NonNullable<StudioContext["client"]> }>;

/** A page's code, fetched when the page is first opened (keeps the Studio's first load small). */
function lazyPage(load: () => Promise<Page>): ComponentType<{ studio: StudioContext }> {
  let loaded: Page | null = null;
  return function LazyPage(props: { studio: StudioContext }) {
    const [Page, setPage] = useState<Page | null>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (Page !== null) return;
      load().then(
        (page) => {
          loaded = page;
          setPage(() => page);
        },
        () => setFailed(true),
      );
    }, [Page]);
    const { client } = props.studio;
    if (failed) return <p role="alert">This page could not be loaded; reload to try again.</p>;
    if (Page === null || client === null) return <p>Loading…</p>;
    return <Page studio={props.studio} client={client} />;
  };
}

/** The History (`#/history`), on the person's key. */
export const HistoryEntry = lazyPage(() => import("./history-page.tsx").then((module) => module.HistoryPage));
/** The Experiments (`#/experiments`), on the person's key. */
export const ExperimentsEntry = lazyPage(() =>
  import("./experiments-page.tsx").then((module) => module.ExperimentsPage),
);
