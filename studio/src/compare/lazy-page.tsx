import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";

/**
 * A page whose code is fetched when it is first opened (Vite splits each `import()` into its own
 * chunk), so the Studio's first load stays small.
 *
 * @example
 * const Compare = lazyPage(() => import("./compare-page.tsx").then((module) => module.ComparePage));
 */
export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  return function LazyPage(props: P) {
    const [Page, setPage] = useState<ComponentType<P> | null>(() => loaded);
    const [error, setError] = useState<string | null>(null);
    useEffect(() => {
      if (Page !== null) return;
      load().then(
        (component) => {
          loaded = component;
          setPage(() => component);
        },
        (failure: unknown) => setError(`This page could not be loaded: ${String(failure)}`),
      );
    }, [Page]);
    if (error !== null) return <p role="alert">{error}</p>;
    return Page === null ? <p>Loading…</p> : <Page {...props} />;
  };
}
