import { useEffect, useState } from "preact/hooks";

/**
 * Where the person is in the Studio, from the URL's hash: `#/history?model=sd15` is the page
 * `history` with its own query. A hash, because the edge serves the Studio as static assets and every
 * other path reaches the Worker: `/studio/history` would be a 404, `/studio/#/history` is the app.
 */
export interface Route {
  /** The first segment: `history` in `#/history/run_1`; `""` for the Studio's home. */
  page: string;
  /** The segments after the page, decoded: `["run_1"]`. */
  rest: string[];
  query: URLSearchParams;
}

/**
 * The route a hash names.
 *
 * @example
 * routeOf("#/share/abc?x=1"); // { page: "share", rest: ["abc"], query: x=1 }
 */
export function routeOf(hash: string): Route {
  const text = hash.replace(/^#\/?/, "");
  const queryAt = text.indexOf("?");
  const path = queryAt === -1 ? text : text.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? "" : text.slice(queryAt + 1));
  const segments = path.split("/").filter((segment) => segment !== "");
  const decoded = segments.map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
  return { page: decoded[0] ?? "", rest: decoded.slice(1), query };
}

/**
 * The hash of a page, its segments and query, to put in an `href`.
 *
 * @example
 * hrefOf("history", [], { model: "sd15" }); // "#/history?model=sd15"
 */
export function hrefOf(page: string, rest: string[] = [], query: Record<string, string> = {}): string {
  const path = [page, ...rest].map(encodeURIComponent).join("/");
  const search = new URLSearchParams(query).toString();
  return `#/${path}${search === "" ? "" : `?${search}`}`;
}

/** Goes to a page (a new history entry, so Back returns). */
export function navigate(page: string, rest: string[] = [], query: Record<string, string> = {}): void {
  location.hash = hrefOf(page, rest, query);
}

/** The current route, following the hash as it changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(location.hash));
  useEffect(() => {
    const follow = () => setRoute(routeOf(location.hash));
    addEventListener("hashchange", follow);
    // The hash may have changed between the first render and this effect (a link followed while the
    // app started): that hashchange came before the listener, so read the hash again now.
    follow();
    return () => removeEventListener("hashchange", follow);
  }, []);
  return route;
}
