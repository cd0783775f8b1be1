import type { Permission } from "@sdgate/shared";
import type { ComponentType } from "preact";
import { AdminPage } from "../admin/admin-page.tsx";
import { ADMIN_PAGE_PERMISSIONS } from "../admin/sections.ts";
import { Playground } from "../playground/playground.tsx";
import type { Route } from "./route.ts";
import { holds, type StudioContext } from "./studio-context.ts";

/** A page of the Studio: its place in the navigation, who sees it, and what it shows. */
export interface StudioPage {
  /** The route's first segment: `#/<id>`. */
  id: string;
  title: string;
  /**
   * `key`: the page works on the person's Studio key (it is shown above the page, and made there);
   * else the permissions of which any one shows the page (the admin API checks each call again).
   */
  needs: "key" | readonly Permission[];
  Page: ComponentType<{ studio: StudioContext }>;
}

/** The playground, on the person's key. */
function PlaygroundPage(props: { studio: StudioContext }) {
  const { client, key } = props.studio;
  return client === null ? null : <Playground key={key?.id} client={client} />;
}

/** Every page, in the navigation's order; the first a person may see is their home. */
export const PAGES: readonly StudioPage[] = [
  { id: "playground", title: "Playground", needs: "key", Page: PlaygroundPage },
  { id: "admin", title: "Admin", needs: ADMIN_PAGE_PERMISSIONS, Page: AdminPage },
];

/**
 * The pages this person may open: key pages when they may generate, the others by permission.
 *
 * @example
 * pagesFor(principal).map((page) => page.title); // ["Playground", "Usage"]
 */
export function pagesFor(principal: StudioContext["principal"]): StudioPage[] {
  return PAGES.filter((page) =>
    page.needs === "key"
      ? holds(principal, "images.generate")
      : page.needs.some((permission) => holds(principal, permission)),
  );
}

/** Pages anyone with the link may open, signed in or not (a share link's read-only view). */
export const PUBLIC_PAGES: Readonly<Record<string, ComponentType<{ route: Route }>>> = {};
