import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  CLIENT_METHODS,
  type JobEvent,
  type JobProgressData,
  Sdgate,
  SdgateApiError,
  SdgateWebhookError,
  verifyWebhook,
} from "@sdgate/sdk";
import chromium from "@sparticuz/chromium";
import { type Browser, type Page, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTinyModel } from "../backend/src/model-builder/index.ts";
import {
  OIDC_TEST_ACCOUNTS,
  type RunningOidcProvider,
  startOidcProvider,
} from "../edge/test/oidc-provider.ts";
import { a1111Scenarios } from "./a1111/scenarios.ts";
import { adminScenarios } from "./studio/admin.ts";
import { compareScenarios } from "./studio/compare.ts";
import { useStudioHarness } from "./studio/harness.ts";
import { historyScenarios } from "./studio/history.ts";
import { MODEL_APPROVER, modelsScenarios } from "./studio/models.ts";
import { playgroundScenarios } from "./studio/playground.ts";
import { promptScenarios } from "./studio/prompt.ts";
import { refinerScenarios, SDXL_MODELS } from "./studio/refiner.ts";
import { roleScenarios, STUDIO_ROLE_ACCOUNTS } from "./studio/roles.ts";
import { sweepsScenarios } from "./studio/sweeps.ts";
import { BILLING_ACCOUNT, usageScenarios } from "./studio/usage.ts";
import { useLocalStack } from "./support/local-stack.ts";

// The platform's two kinds of client against one real local stack (the edge in workerd, two CPU
// backends, an OpenID Provider on loopback): programs through @sdgate/sdk, every call end to end, and
// a person in a real browser signing in. One stack for both: each start costs a quarter minute of
// the test run. Requests are tiny (64×64, a few steps) to keep the file fast.
let provider: RunningOidcProvider | undefined;
const localStack = useLocalStack("clients", {
  // a tiny SDXL base and refiner for the playground's SDXL fields (about a second to build and load)
  models: async (stateDir) => ({
    [SDXL_MODELS.base]: await ensureTinyModel(join(stateDir, "own-models"), { family: "sdxl" }),
    [SDXL_MODELS.refiner]: await ensureTinyModel(join(stateDir, "own-models"), { family: "sdxl-refiner" }),
  }),
  architectures: { [SDXL_MODELS.base]: "sdxl", [SDXL_MODELS.refiner]: "sdxl-refiner" },
  edgeVars: async (edgeUrl) => {
    provider = await startOidcProvider({
      redirectUris: [`${edgeUrl}/auth/oidc/callback`],
      postLogoutRedirectUris: [`${edgeUrl}/`],
      accounts: {
        ...OIDC_TEST_ACCOUNTS,
        ...STUDIO_ROLE_ACCOUNTS,
        [MODEL_APPROVER.login]: MODEL_APPROVER,
        [BILLING_ACCOUNT.login]: BILLING_ACCOUNT,
      },
    });
    return {
      SDGATE_OIDC_ISSUER: provider.issuer,
      SDGATE_OIDC_CLIENT_ID: provider.clientId,
      SDGATE_OIDC_CLIENT_SECRET: provider.clientSecret,
      SDGATE_OIDC_SCOPES: "openid email profile groups",
      SDGATE_OIDC_ALLOW_LOOPBACK: "true",
    };
  },
});

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const SMALL = { prompt: "a lighthouse at dusk", size: "64x64", steps: 4 } as const;

function client(apiKey = localStack.current().apiKey): Sdgate {
  return new Sdgate({ baseUrl: localStack.current().url, apiKey, timeoutMs: 60_000 });
}

function admin(): Sdgate {
  return new Sdgate({ baseUrl: localStack.current().url, adminToken: localStack.current().adminToken });
}

function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => null,
    (error: unknown) => error,
  );
}

/** A webhook receiver on loopback (the local stack allows loopback receivers), keeping each delivery as it came. */
const deliveries: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
const receiver = createServer(async (request, response) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8") });
  response.writeHead(204).end();
});
beforeAll(() => new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve)));
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

async function delivered(
  jobId: string,
  withinMs = 15_000,
): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  const untilMs = Date.now() + withinMs;
  for (;;) {
    const found = deliveries.find((delivery) => delivery.body.includes(jobId));
    if (found) return found;
    if (Date.now() > untilMs) throw new Error(`no webhook for ${jobId} within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("@sdgate/sdk against the local stack", () => {
  it("generates an image, and serves the same seeded request again from the replay cache", async () => {
    const first = await client().images.generate({ ...SMALL, seed: 11 });
    expect(first).toMatchObject({ cache: "MISS", attempts: 1, job: null });
    expect(first.backend).toMatch(/^local-[ab]$/);
    expect(first.requestId).toBeTruthy();
    expect(first.response.data[0]?.seed).toBe(11);
    const png = Buffer.from(first.response.data[0]?.b64_json ?? "", "base64");
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);

    const again = await client().images.generate({ ...SMALL, seed: 11 });
    expect(again.cache).toBe("HIT");
    expect(again.response.data[0]?.b64_json).toBe(first.response.data[0]?.b64_json);
  });

  it("runs an async job to its end with progress and previews, and signs its webhook for the key's secret", async () => {
    const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const job = await client().images.generateAsync(
      { ...SMALL, steps: 6, seed: 12 },
      { webhookUrl, previewEvery: 2 },
    );
    expect(job.status).toMatch(/^(queued|running)$/);
    const progress: JobProgressData[] = [];
    const events: JobEvent["type"][] = [];
    const done = await client().jobs.wait(job.id, {
      onProgress: (step) => progress.push(step),
      onEvent: (event) => events.push(event.type),
    });
    expect(done.status).toBe("succeeded");
    expect(done.result?.data[0]?.seed).toBe(12);
    expect(progress.map((step) => step.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(progress.some((step) => step.preview?.format === "jpeg")).toBe(true);
    expect(events[0]).toBe("attempt");
    expect(events.at(-1)).toBe("succeeded");

    const { key } = await client().webhooks.secret();
    const delivery = await delivered(job.id);
    const event = await verifyWebhook({ secret: key, headers: delivery.headers, body: delivery.body });
    expect(event).toMatchObject({ type: "job.succeeded", data: { id: job.id, status: "succeeded" } });
    const forged = await failure(
      verifyWebhook({
        secret: key,
        headers: delivery.headers,
        body: delivery.body.replace("succeeded", "failed"),
      }),
    );
    expect(forged).toBeInstanceOf(SdgateWebhookError);
    expect(forged).toMatchObject({ reason: "no_matching_signature" });
  });

  it("resumes a job's events after the last one read, and cancels a job", async () => {
    const job = await client().images.generateAsync({ ...SMALL, steps: 8, seed: 13 });
    let lastEventId: string | null = null;
    for await (const event of client().jobs.events(job.id)) {
      lastEventId = event.id;
      if (event.type === "started") break;
    }
    const rest: JobEvent[] = [];
    for await (const event of client().jobs.events(job.id, { lastEventId: lastEventId ?? 0 }))
      rest.push(event);
    expect(Number(rest[0]?.id)).toBe(Number(lastEventId) + 1);
    expect(rest.at(-1)?.type).toBe("succeeded");

    const long = await client().images.generateAsync({ prompt: "a slow one", size: "256x256", steps: 150 });
    await client().jobs.cancel(long.id);
    const cancelled = await client().jobs.wait(long.id);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.error?.code).toBe("cancelled");
  });

  it("estimates a request and lists the models", async () => {
    const estimate = await client().estimate({ ...SMALL, steps: 10, n: 2 });
    expect(estimate).toMatchObject({ object: "generation.estimate", model: "tiny", steps: 10, n: 2 });
    expect(estimate.credits).toBeGreaterThan(0);
    const models = await client().models.list();
    expect(models.data.map((model) => model.id)).toContain("tiny");
  });

  it("creates, reads, rotates and revokes a key with the admin token", async () => {
    const created = await admin().keys.create({
      name: "sdk e2e",
      limits: { requests_per_minute: 60 },
      metadata: { team: "sdk" },
    });
    expect(created.key).toMatch(/^sk_/);
    expect(created.limits.requests_per_minute).toBe(60);
    expect((await client(created.key).models.list()).data.length).toBeGreaterThan(0);

    const read = await admin().keys.get(created.id);
    expect(read).toMatchObject({ id: created.id, status: "active", metadata: { team: "sdk" } });
    expect(read.remaining?.requests).toBeLessThanOrEqual(60);
    expect((await admin().keys.list({ limit: 100 })).data.map((key) => key.id)).toContain(created.id);
    const updated = await admin().keys.update(created.id, { name: "sdk e2e, renamed" });
    expect(updated.name).toBe("sdk e2e, renamed");

    const rotated = await admin().keys.rotate(created.id, { grace_seconds: 60 });
    expect(rotated.key).not.toBe(created.key);
    expect(rotated.grace_seconds).toBe(60);
    expect((await client(rotated.key).models.list()).object).toBe("list");

    const revoked = await admin().keys.revoke(created.id);
    expect(revoked).toMatchObject({ revoked: true, status: "revoked" });
    const refused = await failure(client(rotated.key).models.list());
    expect(refused).toBeInstanceOf(SdgateApiError);
    expect(refused).toMatchObject({ status: 401, code: "invalid_api_key", type: "authentication_error" });
    expect((refused as SdgateApiError).requestId).toBeTruthy();
  });

  it("reads usage, lists and verifies the audit chain, and lists the backends", async () => {
    const usage = await admin().usage({ from: new Date(Date.now() - 86_400_000) });
    expect(usage.object).toBe("usage");
    expect(usage.totals.requests).toBeGreaterThan(0);
    const page = await admin().audit.list({ limit: 5 });
    expect(page.data).toHaveLength(5);
    const walk = await admin().audit.verifyAll({ limit: 10 });
    expect(walk.ok).toBe(true);
    expect(walk.pages).toBeGreaterThan(1);
    expect(walk.rowsChecked).toBeGreaterThan(10);
    const fleet = await admin().backends.list();
    expect(fleet.backends.map((backend) => backend.name).sort()).toEqual(["local-a", "local-b"]);
  });

  it("answers errors as typed errors naming the field", async () => {
    const refused = await failure(client().images.generate({ ...SMALL, width: 100, seed: 1 }));
    expect(refused).toMatchObject({ status: 400, code: "invalid_request", param: "width" });
    const missing = await failure(client().jobs.get("job_00000000000000000000000000000000"));
    expect(missing).toMatchObject({ status: 404, code: "not_found" });
  });

  it("has a method for every operation of the edge's OpenAPI document", async () => {
    const document = await client().openApiDocument();
    const paths = document.paths as Record<string, Record<string, { operationId: string }>>;
    const operationIds = Object.values(paths).flatMap((methods) =>
      Object.values(methods).map((op) => op.operationId),
    );
    expect(operationIds.sort()).toEqual(Object.keys(CLIENT_METHODS).sort());
  });
});

let browser: Browser;
beforeAll(async () => {
  browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await provider?.close();
});

// Contexts are left open until the browser closes: this Chromium runs as one process, and closing
// a context can take the browser with it.

/** The JSON the page shows (Chromium renders a JSON answer as text). */
async function pageJson(page: Page): Promise<Record<string, unknown>> {
  return JSON.parse(((await page.locator("body").textContent()) ?? "").trim()) as Record<string, unknown>;
}

describe("signing in, in a browser", () => {
  it("through the OpenID Provider: its form, back to where the person was going, a session", async () => {
    const { url } = localStack.current();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/auth/oidc/login?return_to=${encodeURIComponent("/v1/me")}`);
    await page.selectOption("select[name=account]", "bob");
    await Promise.all([page.waitForURL(`${url}/v1/me`), page.click("button:has-text('Sign in')")]);
    expect(await pageJson(page)).toMatchObject({
      kind: "user",
      email: provider?.accounts.bob?.email,
      roles: [],
      permissions: [],
    });
    const cookies = await context.cookies(url);
    expect(cookies.find((cookie) => cookie.name === "sdgate_session")).toMatchObject({
      httpOnly: true,
      sameSite: "Lax",
    });
    // Signing out from the page ends the session.
    const out = await page.evaluate(async () => {
      const response = await fetch("/auth/logout", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      });
      return { status: response.status, body: await response.json() };
    });
    expect(out).toMatchObject({ status: 200, body: { object: "signed_out", sessions_ended: 1 } });
    await page.goto(`${url}/v1/me`);
    expect(await pageJson(page)).toMatchObject({ error: { code: "missing_api_key" } });
  }, 60_000);

  it("with npm start's one-time link: the local admin, once", async () => {
    const { url, signInSecret } = localStack.current();
    const { mintLocalSignInToken } = await import("@sdgate/shared");
    const link = `${url}/auth/local?token=${await mintLocalSignInToken(signInSecret)}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link);
    await page.goto(`${url}/v1/me`);
    expect(await pageJson(page)).toMatchObject({ kind: "user", roles: ["admin"] });
    await page.goto(`${url}/admin/keys`);
    expect(await pageJson(page)).toMatchObject({ object: "list" });
    const again = await (await browser.newContext()).newPage();
    await again.goto(link);
    expect(await pageJson(again)).toMatchObject({ error: { code: "invalid_api_key" } });
  }, 60_000);
});

describe("AUTOMATIC1111 clients against the local stack (/sdapi/v1)", () => {
  a1111Scenarios(() => localStack.current());
});

describe("the Studio, in a browser", () => {
  const studio = useStudioHarness(() => localStack.current());
  playgroundScenarios(studio);
  refinerScenarios(studio);
  sweepsScenarios(studio);
  promptScenarios(studio);
  modelsScenarios(studio);
  usageScenarios(studio);
  historyScenarios(studio);
  compareScenarios(studio);
  adminScenarios(studio);
  roleScenarios(studio);
});
