import { Sdgate } from "@sdgate/sdk";
import { expect, it } from "vitest";
import type { StudioHarness } from "./harness.ts";

/**
 * The Admin page as an admin uses it: a team with a member, a key made (its secret shown once) and
 * revoked, a budget, the audit chain verified with those actions in the log, and the fleet healthy.
 */
export function adminScenarios(studio: StudioHarness): void {
  it("creates a team and adds a member, makes and revokes a key, sets a budget, verifies the audit chain and sees the backends", async () => {
    const admin = studio.admin();
    const { url } = studio.stack();
    // A person to add: someone who has signed in and belongs to no team.
    await studio.signInAs("studio-newcomer");
    const [newcomer] = (await admin.people.list({ email: "newcomer@studio.example" })).data;
    if (newcomer === undefined) throw new Error("the newcomer did not sign in");

    const page = await studio.signInLocalAdmin({ hash: "#/admin/teams" });
    const name = `Admin walk ${Date.now()}`;
    await page.getByLabel("New team's name").fill(name);
    await page.getByRole("button", { name: "Create team" }).click();
    await page.getByRole("status").getByText(`Created ${name}.`).waitFor();
    const team = (await admin.teams.list()).data.find((candidate) => candidate.name === name);
    if (team === undefined) throw new Error("the team was not created");
    await page.getByRole("navigation", { name: "Teams" }).getByRole("link", { name }).click();
    await page.getByRole("heading", { name: new RegExp(`^${name}`) }).waitFor();
    const addMember = page.getByRole("form", { name: "Add a member" });
    await addMember.getByLabel("Person (usr_… id)").fill(newcomer.id);
    await addMember.getByLabel("Role").selectOption("developer");
    await addMember.getByRole("button", { name: "Add member" }).click();
    await page
      .getByRole("region", { name: "Team members", exact: true })
      .getByText("newcomer@studio.example")
      .waitFor();
    expect((await admin.teams.members(team.id)).data).toMatchObject([
      { user_id: newcomer.id, role: "developer" },
    ]);

    // A key: a refused value is named beside the form; then made, its secret shown once.
    await page.goto(`${url}/studio/#/admin/keys`);
    const keyName = `Admin walk key ${Date.now()}`;
    const createKey = page.getByRole("form", { name: "Create a key" });
    await createKey.getByLabel("Name", { exact: true }).fill(keyName);
    await createKey.getByLabel("Team").selectOption(team.id);
    await page.getByLabel("Requests per minute").fill("0");
    await page.getByRole("button", { name: "Create key" }).click();
    const refusal = page.getByRole("alert").filter({ hasText: "requests_per_minute" });
    await refusal.waitFor();
    expect(await page.getByLabel("Requests per minute").getAttribute("aria-invalid")).toBe("true");
    await page.getByLabel("Requests per minute").fill("30");
    await page.getByRole("button", { name: "Create key" }).click();
    const secretBox = page.getByRole("textbox", { name: `Secret of ${keyName}` });
    await secretBox.waitFor();
    const secret = await secretBox.inputValue();
    expect(secret).toMatch(/^sk_/);
    const me = await new Sdgate({ baseUrl: url, apiKey: secret }).me();
    expect(me).toMatchObject({ kind: "key", name: keyName });
    await page.getByRole("button", { name: "Done, hide it" }).click();
    expect(await page.content()).not.toContain(secret);

    // Found by its name and team (filtered by the server), revoked after asking.
    await page.getByLabel("Name, id or prefix").fill(keyName.toLowerCase());
    await page.getByRole("form", { name: "Key filters" }).getByLabel("Team").selectOption(team.id);
    await page.getByRole("button", { name: "Filter" }).click();
    await page.getByRole("status").getByText("1 key found.").waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await studio.fitsWidth(page)).toBe(true);
    await studio.shoot(page, "admin-keys-390");
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole("button", { name: `Revoke ${keyName}` }).click();
    // Asking moves the focus to Confirm, so Enter confirms from the keyboard.
    await expect
      .poll(() => page.evaluate<string>("document.activeElement.textContent"))
      .toBe("Confirm revoke");
    await page.keyboard.press("Enter");
    await page.getByRole("region", { name: "Key list" }).getByText("revoked", { exact: true }).waitFor();
    expect((await admin.keys.get(me.id)).status).toBe("revoked");

    // The team's budget.
    await page.goto(`${url}/studio/#/admin/budgets/${team.id}`);
    await page.getByLabel("Monthly credits").fill("5000");
    await page.getByRole("button", { name: "Set budget" }).click();
    const monthly = page.getByRole("definition").first();
    await expect.poll(() => monthly.textContent()).toBe("5,000 credits");
    expect((await admin.teams.budget(team.id)).budget).toMatchObject({
      monthly_credits: 5000,
      soft_percent: 80,
    });

    // The audit log: the chain holds, and what was just done is in it, by this person.
    await page.goto(`${url}/studio/#/admin/audit`);
    await page.getByRole("region", { name: "Audit entries" }).waitFor();
    await page.getByRole("button", { name: "Verify the chain" }).click();
    const verdict = page.getByRole("status", { name: "Chain verification" });
    await verdict.getByText("Chain verified.", { exact: true }).waitFor();
    expect(await verdict.textContent()).toMatch(/\d+ rows checked/);
    const actions = await page
      .getByRole("region", { name: "Audit entries" })
      .locator("tbody tr td:nth-child(4)")
      .allTextContents();
    for (const action of ["team.create", "member.add", "key.create", "key.revoke", "budget.set"])
      expect(actions, action).toContain(action);
    await studio.expectAccessible(page);
    await studio.shoot(page, "admin-audit-1280");
    await page.getByLabel("Action", { exact: true }).fill("key.");
    await page.getByRole("button", { name: "Filter" }).click();
    // the server answers only the key actions: once the list is replaced, every row is one
    const keyActions = page
      .getByRole("region", { name: "Audit entries" })
      .locator("tbody tr td:nth-child(4)");
    await expect
      .poll(async () => {
        const actions = await keyActions.allTextContents();
        return actions.length > 0 && actions.every((action) => action.startsWith("key."));
      })
      .toBe(true);
    const kinds = new Set(await keyActions.allTextContents());
    expect(kinds.has("key.revoke") && kinds.has("key.create")).toBe(true);

    // Both local backends, healthy.
    await page.goto(`${url}/studio/#/admin/backends`);
    const fleet = page.getByRole("region", { name: "Fleet" });
    await fleet.waitFor();
    expect(await fleet.locator("tbody tr").count()).toBe(2);
    expect(await fleet.getByText("Healthy", { exact: true }).count()).toBe(2);
    await page.getByRole("status").getByText("2 of 2 backends healthy").waitFor();
    await studio.expectAccessible(page);

    // Deleting the team asks first; it owns only a revoked key, so it goes.
    await page.goto(`${url}/studio/#/admin/teams/${team.id}`);
    // Exact names: "Delete team" is also a substring of "Confirm delete team".
    const deleteTeam = page.getByRole("button", { name: "Delete team", exact: true });
    await deleteTeam.click();
    // Escape once the confirmation has taken the focus (it moves there as it renders).
    await expect
      .poll(() => page.evaluate<string | null>("document.activeElement?.textContent ?? null"))
      .toBe("Confirm delete team");
    await page.keyboard.press("Escape");
    await deleteTeam.waitFor();
    expect((await admin.teams.get(team.id)).name).toBe(name);
    await deleteTeam.click();
    await page.getByRole("button", { name: "Confirm delete team" }).click();
    await expect
      .poll(async () => (await admin.teams.list()).data.some((candidate) => candidate.id === team.id))
      .toBe(false);
  }, 120_000);
}
