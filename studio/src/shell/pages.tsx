import type { Permission } from "@sdgate/shared";
import type { ComponentType } from "preact";
import { useMemo } from "preact/hooks";
import { AdminPage } from "../admin/admin-page.tsx";
import { ADMIN_PAGE_PERMISSIONS } from "../admin/sections.ts";
import { lazyPage } from "../compare/lazy-page.tsx";
import { ExperimentsEntry, HistoryEntry } from "../history/entries.tsx";
import { ModelsPage } from "../models/index.tsx";
import { Playground } from "../playground/playground.tsx";
import { SweepsPage } from "../sweeps/index.tsx";
import { UsageEntry } from "../usage/usage-entry.tsx";
import type { Route } from "./route.ts";
import { holds, holdsEverywhere, type StudioContext } from "./studio-context.ts";

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
  /** Only a deployment-wide role's permissions count (the registry is no team's: a team role does not open it). */
  everywhere?: boolean;
  Page: ComponentType<{ studio: StudioContext }>;
}

/** The playground, on the person's key, with their team's budget read on their session. */
function PlaygroundPage(props: { studio: StudioContext }) {
  const { client, key, session, principal } = props.studio;
  const teamId = key?.teamId ?? null;
  const teamBudget = useMemo(
    () =>
      teamId === null || !holds(principal, "usage.read") ? undefined : () => session.teams.budget(teamId),
    [teamId, session, principal],
  );
  return client === null ? null : (
    <Playground key={key?.id} client={client} {...(teamBudget === undefined ? {} : { teamBudget })} />
  );
}

// Compare, share links and a share's public view load when first opened (first load ≤ 150 KB).
const ComparePage = lazyPage(() =>
  import("../compare/compare-page.tsx").then((module) => module.ComparePage),
);
const SharesPage = lazyPage(() => import("../share/shares-page.tsx").then((module) => module.SharesPage));
const SharedPage = lazyPage(() => import("../share/shared-page.tsx").then((module) => module.SharedPage));

/** Compare (`#/compare?runs=<id>,<id>,…`), on the person's key. */
function CompareOnKey(props: { studio: StudioContext }) {
  const { client, key, route } = props.studio;
  return client === null ? null : <ComparePage key={key?.id} client={client} route={route} />;
}

/** The team's share links, on the person's key. */
function SharesOnKey(props: { studio: StudioContext }) {
  const { client, key } = props.studio;
  return client === null ? null : <SharesPage key={key?.id} client={client} />;
}

/** Every page, in the navigation's order; the first a person may see is their home. */
export const PAGES: readonly StudioPage[] = [
  { id: "playground", title: "Playground", needs: "key", Page: PlaygroundPage },
  { id: "history", title: "History", needs: "key", Page: HistoryEntry },
  { id: "experiments", title: "Experiments", needs: "key", Page: ExperimentsEntry },
  { id: "compare", title: "Compare", needs: "key", Page: CompareOnKey },
  { id: "sweeps", title: "Sweeps", needs: "key", Page: SweepsPage },
  { id: "shares", title: "Shares", needs: "key", Page: SharesOnKey },
  { id: "usage", title: "Usage", needs: ["usage.read"], Page: UsageEntry },
  { id: "models", title: "Models", needs: ["models.read"], everywhere: true, Page: ModelsPage },
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
      : page.needs.some((permission) =>
          page.everywhere === true ? holdsEverywhere(principal, permission) : holds(principal, permission),
        ),
  );
}

/** Pages anyone with the link may open, signed in or not (a share link's read-only view). */
export const PUBLIC_PAGES: Readonly<Record<string, ComponentType<{ route: Route }>>> = {
  share: SharedPage,
};
