import { type Permission, ROLE_PERMISSIONS, ROLES, type Role } from "@sdgate/shared";
import type { Locator, Page } from "playwright-core";
import { expect, it } from "vitest";
import type { OidcTestAccount } from "../../edge/src/identity/oidc/test-provider.d.ts";
import type { StudioHarness } from "./harness.ts";

/** The identity-provider group whose members get `role` (in the walk's team, or everywhere for `admin`). */
export const roleGroup = (role: Role) => `studio-role-${role}`;
/** The OpenID login of the person who holds `role`. */
export const roleLogin = (role: Role) => `studio-${role.replace("_", "-")}`;

/**
 * One OpenID test account per role (each in its role's group), and a newcomer in no group (someone an
 * admin adds to a team by hand), for the Studio's browser tests; test/clients.test.ts gives them to
 * its provider beside OIDC_TEST_ACCOUNTS.
 */
export const STUDIO_ROLE_ACCOUNTS: Record<string, OidcTestAccount> = {
  ...Object.fromEntries(
    ROLES.map((role) => [
      roleLogin(role),
      {
        login: roleLogin(role),
        sub: `studio-sub-${role}`,
        email: `${role}@studio.example`,
        name: `Studio ${role}`,
        groups: [roleGroup(role)],
      },
    ]),
  ),
  "studio-newcomer": {
    login: "studio-newcomer",
    sub: "studio-sub-newcomer",
    email: "newcomer@studio.example",
    name: "Studio Newcomer",
    groups: [],
  },
};

/** The pages that work on the person's Studio key: theirs when their role may generate. */
const KEY_PAGES = ["Playground", "History", "Experiments", "Compare", "Sweeps", "Shares"];

/**
 * What each role sees: the Studio's navigation and the Admin page's sections. Written out rather than
 * computed, so the test fails when the Studio shows a role what it should not. A page added to the
 * Studio is added here for each role that sees it.
 */
const SEES: Readonly<Record<Role, { nav: string[]; sections: string[] }>> = {
  admin: {
    nav: [...KEY_PAGES, "Usage", "Models", "Admin"],
    sections: ["People", "Teams", "Role mappings", "Keys", "Budgets", "Audit", "Backends"],
  },
  team_admin: { nav: [...KEY_PAGES, "Usage", "Admin"], sections: ["Teams", "Budgets"] },
  developer: { nav: [...KEY_PAGES, "Usage", "Admin"], sections: ["Budgets"] },
  // Approving models takes the role everywhere (the registry is no team's); in a team it opens nothing.
  model_approver: { nav: [], sections: [] },
  viewer: { nav: ["Usage", "Admin"], sections: ["Budgets"] },
  billing: { nav: ["Usage", "Admin"], sections: ["Budgets"] },
};

/** What shows that each section's data arrived. */
const LOADED: Readonly<Record<string, (page: Page) => Locator>> = {
  People: (page) => firstRow(page, "People list"),
  Teams: (page) => page.getByRole("navigation", { name: "Teams" }).getByRole("link").first(),
  "Role mappings": (page) => firstRow(page, "Mapping rules"),
  Keys: (page) => firstRow(page, "Key list"),
  Budgets: (page) => page.getByRole("term").filter({ hasText: "Monthly budget" }),
  Audit: (page) => firstRow(page, "Audit entries"),
  Backends: (page) => firstRow(page, "Fleet"),
};

/** The first data row of a table the Admin page names. */
function firstRow(page: Page, table: string): Locator {
  return page.getByRole("region", { name: table, exact: true }).locator("tbody tr").first();
}

/** Calls the admin API from the page, on the person's session cookie, as a script of theirs could. */
async function statusOf(page: Page, method: string, path: string, body?: unknown): Promise<number> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const response = await fetch(path, {
        method,
        headers: { "Content-Type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return response.status;
    },
    { method, path, body },
  );
}

/** Calls each role may or may not make; the edge answers each by the role, whatever the page shows. */
function probesFor(
  teamId: string,
): Array<{ method: string; path: string; body?: unknown; needs: Permission; team: boolean }> {
  return [
    { method: "GET", path: "/admin/people", needs: "members.read", team: false },
    { method: "GET", path: "/admin/keys", needs: "keys.read", team: false },
    { method: "GET", path: "/admin/audit?limit=1", needs: "audit.read", team: false },
    { method: "GET", path: "/admin/backends", needs: "backends.read", team: false },
    { method: "GET", path: "/admin/role-mappings", needs: "members.read", team: false },
    { method: "GET", path: `/admin/teams/${teamId}/members`, needs: "members.read", team: true },
    { method: "GET", path: `/admin/teams/${teamId}/budget`, needs: "usage.read", team: true },
    {
      method: "PUT",
      path: `/admin/teams/${teamId}/budget`,
      body: { monthly_credits: 250_000 },
      needs: "budgets.manage",
      team: false,
    },
    {
      method: "POST",
      path: "/admin/teams",
      body: { name: `Not by ${teamId}` },
      needs: "teams.manage",
      team: false,
    },
  ];
}

/**
 * Walks the Studio with each role: one person per role, their group mapped to the role (in a team,
 * or everywhere for `admin`) through the admin API; each sees exactly their navigation and admin
 * sections, each section's data loads, and the edge refuses (403) what the role may not do.
 */
export function roleScenarios(studio: StudioHarness): void {
  it("walks the admin pages with each role: what each sees, what loads, and what the API refuses", async () => {
    const admin = studio.admin();
    const team = await admin.teams.create(`Role walk ${Date.now()}`);
    for (const role of ROLES)
      await admin.roleMappings.create({
        idp_group: roleGroup(role),
        team_id: role === "admin" ? null : team.id,
        role,
      });

    for (const role of ROLES) {
      const page = await studio.signInAs(roleLogin(role), { hash: "#/admin" });
      await page.getByText(`Studio ${role}`, { exact: true }).waitFor();
      const expected = SEES[role];
      const nav = page.getByRole("navigation", { name: "Studio" });
      if (expected.nav.length === 0) {
        await page.getByRole("heading", { name: "Nothing to open yet" }).waitFor();
        expect(await nav.count(), role).toBe(0);
      } else {
        expect(await nav.getByRole("link").allTextContents(), role).toEqual(expected.nav);
        const sections = page.getByRole("navigation", { name: "Admin sections" });
        // Signing in lands on the Studio's home; the hash then opens the Admin page.
        await sections
          .getByRole("link")
          .first()
          .waitFor()
          .catch(async (error: unknown) => {
            throw new Error(`${role} at ${page.url()}: ${await page.locator("main").textContent()}`, {
              cause: error,
            });
          });
        expect(await sections.getByRole("link").allTextContents(), role).toEqual(expected.sections);
        for (const title of expected.sections) {
          await sections.getByRole("link", { name: title, exact: true }).click();
          await page.getByRole("heading", { name: title, level: 3 }).waitFor();
          const loaded = LOADED[title];
          if (loaded === undefined) throw new Error(`no load check for the ${title} section`);
          await loaded(page).waitFor({ timeout: 15_000 });
          expect(await page.getByRole("alert").allTextContents(), `${role} on ${title}`).toEqual([]);
          await studio.expectAccessible(page);
        }
        // Back to their first section for the screenshot.
        const [first] = expected.sections;
        await sections.getByRole("link").first().click();
        if (first !== undefined) await LOADED[first]?.(page).waitFor({ timeout: 15_000 });
        // A team admin opens their team: its members, who came by their groups; they may add
        // members, not delete the team.
        if (role === "team_admin") {
          await page.goto(`${studio.stack().url}/studio/#/admin/teams/${team.id}`);
          await page
            .getByRole("region", { name: "Team members", exact: true })
            .getByText("team_admin@studio.example")
            .waitFor();
          expect(await page.getByRole("button", { name: "Add member" }).isVisible()).toBe(true);
          expect(await page.getByRole("button", { name: "Delete team" }).count()).toBe(0);
          await studio.expectAccessible(page);
        }
      }
      await studio.shoot(page, `admin-${role.replace("_", "-")}-1280`);

      for (const probe of probesFor(team.id)) {
        const status = await statusOf(page, probe.method, probe.path, probe.body);
        const permissions = ROLE_PERMISSIONS[role];
        const allowed = permissions.includes(probe.needs) && (role === "admin" || probe.team);
        expect(
          allowed ? status < 300 : status === 403,
          `${role}: ${probe.method} ${probe.path} → ${status}`,
        ).toBe(true);
      }
    }
  }, 240_000);
}
