import { randomBytes } from "node:crypto";
import { ENGINE_VERSION } from "@sdgate/shared";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import type { OidcTestAccount } from "../../edge/src/identity/oidc/test-provider.d.ts";
import type { StudioHarness } from "./harness.ts";

/** The OpenID Provider's account of a person whose group is mapped to `model_approver` by the scenario. */
export const MODEL_APPROVER: OidcTestAccount = {
  login: "dana",
  sub: "user-d4n4",
  email: "dana@example.com",
  name: "Dana Approver",
  groups: ["model-approvers"],
};

/**
 * Goes to the Models page, and to tiny's page, through the navigation as a person would. (Not by
 * the sign-in's hash: a hash set while the Studio is still starting can be missed by its router.)
 */
async function openModels(page: Page, model?: string): Promise<void> {
  await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Models" }).click();
  if (model !== undefined) await page.getByRole("link", { name: model, exact: true }).click();
}

/** The comparison is open and its run has ended (the page reads it every 2 s while it runs). */
async function evaluationFinished(page: Page): Promise<string> {
  const status = page.getByRole("region", { name: /^Evaluation evl_/ }).getByRole("status");
  await status.getByText(/^Finished/).waitFor({ timeout: 60_000 });
  return (await status.textContent()) ?? "";
}

/**
 * The Models page: the registry's models and one model's versions and aliases; a promotion asked for
 * by the local admin, refused to them as its approver, approved by a model approver who signs in
 * through the OpenID Provider; an evaluation with both sides' images.
 */
export function modelsScenarios(studio: StudioHarness): void {
  it("shows tiny's versions and aliases, asks for a promotion, refuses its requester's approval, and moves staging on an approver's", async () => {
    const admin = studio.admin();
    // A second version of tiny: files no backend holds are fine for the registry.
    const v2 = await admin.registry.registerVersion("tiny", {
      digest: randomBytes(32).toString("hex"),
      source: { kind: "export", path: "/models/tiny-v2" },
      engine_version: ENGINE_VERSION,
      licence: { id: "CreativeML-OpenRAIL-M", accepted: true },
      card: "A second version, registered by the Studio's test.",
    });
    const production = (await admin.registry.aliases("tiny")).data.find(
      (alias) => alias.name === "production",
    );
    expect(production).toBeDefined();
    // The registry is deployment-wide: the edge takes a global role for it, so the mapping has no team.
    await admin.roleMappings.create({ idp_group: "model-approvers", team_id: null, role: "model_approver" });

    const page = await studio.signInLocalAdmin();
    await openModels(page);
    const tiny = page.getByRole("link", { name: "tiny", exact: true });
    await tiny.waitFor();
    const tinyItem = page.getByRole("listitem").filter({ has: tiny });
    expect(await tinyItem.getByRole("term").allTextContents()).toContain("production");
    expect(await tinyItem.getByRole("definition").allTextContents()).toContain(production?.version);
    await studio.expectAccessible(page);
    await studio.shoot(page, "models-1280");

    await tiny.click();
    const versions = page.getByRole("region", { name: "Versions" });
    await versions.getByRole("rowheader", { name: v2.version }).waitFor();
    const row = (version = "") =>
      versions.getByRole("row").filter({ has: page.getByRole("rowheader", { name: version, exact: true }) });
    expect(await row(v2.version).textContent()).toContain("registered, on no alias");
    expect(await row(production?.version).textContent()).toContain("serves production");
    const aliases = page.getByRole("region", { name: "Aliases" });
    await aliases.getByText(/No canary split: all of production goes to/).waitFor();
    await aliases.getByRole("button", { name: "History of production" }).click();
    await aliases
      .getByRole("list", { name: "Moves of production" })
      .getByText(/\(bootstrap\)/)
      .waitFor();

    // The local admin asks for v2 on staging.
    const promotions = page.getByRole("region", { name: "Promotion requests" });
    await promotions.getByLabel("Alias").fill("staging");
    await promotions.getByLabel("Version").selectOption(v2.version);
    await promotions.getByLabel("Comment").fill("ready for staging");
    await promotions.getByRole("button", { name: "Ask for the promotion" }).click();
    const asked = await promotions
      .getByRole("status")
      .getByText(/^Asked for staging →/)
      .textContent();
    const requestId = /\((prm_[0-9a-f]{16})\)/.exec(asked ?? "")?.[1] ?? "";
    expect(requestId).toMatch(/^prm_/);
    const item = promotions.getByRole("listitem", { name: `Request ${requestId}` });
    await item.getByText("pending", { exact: true }).waitFor();

    // Approving one's own: a confirmation first (Escape cancels it), then the registry's refusal, shown beside it.
    await item.getByRole("button", { name: `Approve ${requestId}` }).click();
    await reasonFocused(page);
    await page.keyboard.press("Escape");
    await item.getByRole("button", { name: `Approve ${requestId}` }).click();
    await reasonFocused(page);
    await page.keyboard.type("my own");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await item
      .getByRole("alert")
      .getByText(/^403 insufficient_scope: .*someone else must approve it/)
      .waitFor();
    expect((await admin.registry.promotions("tiny", { status: "pending" })).data.map((r) => r.id)).toContain(
      requestId,
    );
    expect((await admin.registry.aliases("tiny")).data.map((alias) => alias.name)).not.toContain("staging");

    // An evaluation on the stack's own backends: the production version against production, two steps.
    const evaluations = page.getByRole("region", { name: "Evaluations" });
    const form = evaluations.getByRole("form", { name: "Start an evaluation" });
    await form.getByLabel("Candidate").selectOption(production?.version ?? "");
    await form.getByLabel("Steps").fill("2");
    await form.getByLabel("Size").fill("64x64");
    await form.getByLabel(/^Prompts/).fill("a lighthouse at dusk");
    await form.getByRole("button", { name: "Start the evaluation" }).click();
    expect(await evaluationFinished(page)).toMatch(/^Finished \(succeeded\): 2 of 2 generations/);
    const comparison = page.getByRole("region", { name: /^Evaluation evl_/ });
    for (const side of ["Candidate", "Baseline"]) {
      const alt = `${side} ${production?.version}: a lighthouse at dusk, seed 1`;
      await comparison.getByRole("img", { name: alt }).waitFor();
      // Decoded from its blob: the bytes the API kept for that side.
      const width = `document.querySelector('img[alt="${alt}"]').naturalWidth`;
      await expect.poll(() => page.evaluate<number>(width)).toBe(64);
    }
    expect(await comparison.getByRole("row", { name: /^Failures/ }).textContent()).toBe(
      "Failures0 (0.0 %)0 (0.0 %)",
    );
    // The list beside it reads the run again once it ended.
    await evaluations.getByRole("listitem").getByText("succeeded", { exact: true }).first().waitFor();
    await studio.expectAccessible(page);
    await studio.shoot(page, "model-1280");

    // A model approver, signed in through the OpenID Provider, approves it: staging moves at once.
    const approver = await studio.signInAs(MODEL_APPROVER.login);
    await openModels(approver, "tiny");
    const theirs = approver
      .getByRole("region", { name: "Promotion requests" })
      .getByRole("listitem", { name: `Request ${requestId}` });
    expect(await approver.getByRole("form", { name: "Ask for a promotion" }).count()).toBe(0);
    await theirs.getByRole("button", { name: `Approve ${requestId}` }).click();
    await theirs.getByLabel("Reason").fill("staging may take it");
    await theirs.getByRole("button", { name: "Confirm approval" }).click();
    await approver
      .getByRole("status")
      .getByText(`Approved ${requestId}: staging now points at ${v2.version} (revision 1).`)
      .waitFor();
    await approver
      .getByRole("listitem", { name: "Alias staging" })
      .getByText(`${v2.version}`, { exact: true })
      .waitFor();
    const staging = (await admin.registry.aliases("tiny")).data.find((alias) => alias.name === "staging");
    expect(staging).toMatchObject({ version: v2.version, promotion_id: requestId });
    const decided = (await admin.registry.promotions("tiny")).data.find((r) => r.id === requestId);
    expect(decided).toMatchObject({ status: "approved", decision_comment: "staging may take it" });
    expect(decided?.decided_by).not.toBe(decided?.requested_by);
    await studio.expectAccessible(approver);

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await studio.fitsWidth(page)).toBe(true);
    await page.goto(`${studio.stack().url}/studio/#/models`);
    await page.getByRole("link", { name: "tiny", exact: true }).waitFor();
    expect(await studio.fitsWidth(page)).toBe(true);
    await studio.shoot(page, "models-390");
  }, 180_000);

  // On the staging alias the first scenario made: nothing else on the stack generates with it, so its
  // split and policy change no other test's images.
  it("starts and stops a canary split of staging, and writes staging's policy, each error shown beside its form", async () => {
    const admin = studio.admin();
    const page = await studio.signInLocalAdmin();
    await openModels(page, "tiny");
    const staging = page.getByRole("listitem", { name: "Alias staging" });
    await staging.getByText(/No canary split: all of staging goes to v\d+\./).waitFor();
    await staging.getByRole("button", { name: "Start a canary split of staging" }).click();
    const splitForm = staging.getByRole("form", { name: "Canary split of staging" });
    await splitForm.getByLabel("Canary alias").selectOption("production");
    await splitForm.getByLabel("Weight (%)").fill("60");
    await splitForm.getByRole("button", { name: "Save the split" }).click();
    await splitForm
      .getByRole("alert")
      .getByText(/^400 .*\(weight\)/)
      .waitFor();
    await splitForm.getByLabel("Weight (%)").fill("10");
    await splitForm.getByRole("button", { name: "Save the split" }).click();
    await staging.getByText(/^10 % of staging goes to production \(v1\), the rest to v\d+;/).waitFor();
    expect((await admin.canary.get("tiny", "staging")).split).toMatchObject({
      weight: 10,
      to_alias: "production",
    });
    await staging.getByRole("button", { name: "Stop the split of staging" }).click();
    await staging.getByText(/No canary split: .* The last split was stopped on/).waitFor();
    expect(await admin.canary.get("tiny", "staging")).toMatchObject({
      split: null,
      last_ended: { reason: "stopped" },
    });

    const policies = page.getByRole("region", { name: "Policies" });
    await policies.getByLabel("New policy for").selectOption("staging");
    await policies.getByRole("button", { name: "Write a policy" }).click();
    const policyForm = policies.getByRole("form", { name: "Policy of staging" });
    await policyForm.getByLabel("Safety check").selectOption("flag");
    const rules = policyForm.getByLabel(/^Rules/);
    await rules.fill("[{");
    await policyForm.getByRole("button", { name: "Save the policy" }).click();
    await policyForm
      .getByRole("alert")
      .getByText(/^Rules: not JSON/)
      .waitFor();
    await rules.fill('[{ "id": "Not A Slug", "kind": "max_steps", "max": 10 }]');
    await policyForm.getByRole("button", { name: "Save the policy" }).click();
    await policyForm.getByRole("alert").getByText(/^400 /).waitFor();
    await rules.fill('[{ "id": "no-gore", "kind": "blocked_terms", "terms": ["gore"] }]');
    await policyForm.getByRole("button", { name: "Save the policy" }).click();
    const kept = policies.getByRole("listitem", { name: "Policy of staging" });
    await kept.getByText("no-gore: blocked terms (1), block").waitFor();
    expect(await kept.textContent()).toContain("safety check flag");
    expect(await admin.registry.policy("tiny", "staging")).toMatchObject({
      safety_check: "flag",
      policy: { rules: [{ id: "no-gore", kind: "blocked_terms", terms: ["gore"] }] },
    });
    await studio.expectAccessible(page);
  }, 120_000);
}

/** Waits for the focus to reach the confirmation's reason, which it moves to once the confirmation renders. */
async function reasonFocused(page: Page): Promise<void> {
  await expect
    .poll(() => page.evaluate<string | null>("document.activeElement.labels?.[0]?.textContent ?? null"))
    .toBe("Reason");
}
