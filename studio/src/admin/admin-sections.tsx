import type { ComponentType } from "preact";
import { AuditSection } from "./audit/audit-section.tsx";
import { BackendsSection } from "./backends-section.tsx";
import { BudgetsSection } from "./budgets-section.tsx";
import { KeysSection } from "./keys/keys-section.tsx";
import { PeopleSection } from "./people-section.tsx";
import { RoleMappingsSection } from "./role-mappings-section.tsx";
import type { SectionProps } from "./section-props.ts";
import { TeamsSection } from "./teams/teams-section.tsx";

/** Each section's component, by its id in `ADMIN_SECTIONS` (loaded when the Admin page first opens). */
export const ADMIN_SECTION_COMPONENTS: Readonly<Record<string, ComponentType<SectionProps>>> = {
  people: PeopleSection,
  teams: TeamsSection,
  "role-mappings": RoleMappingsSection,
  keys: KeysSection,
  budgets: BudgetsSection,
  audit: AuditSection,
  backends: BackendsSection,
};
