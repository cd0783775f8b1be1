import type { StudioContext } from "../shell/studio-context.ts";

/** What each admin section is given: the Studio, and the route after `#/admin/<section>`. */
export interface SectionProps {
  studio: StudioContext;
  /** The segments after the section: `["team_…"]` in `#/admin/teams/team_…`. */
  params: string[];
  query: URLSearchParams;
}
