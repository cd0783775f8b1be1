import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import type { OidcTestProvider } from "./src/identity/oidc/test-provider.d.ts";
import type { FakeBackends } from "./src/test-support/fake-backends.ts";
import type { StreamFakes } from "./src/test-support/stream-fakes.ts";

const edgeDir = fileURLToPath(new URL(".", import.meta.url));

const OWN_RUNTIME = [
  "src/audit/audit.test.ts",
  "src/audit/outbox.test.ts",
  "src/gateway/coalescer.test.ts",
  "src/audit/retention.test.ts",
  "src/backends/scheduled.test.ts",
  "src/routes/admin-audit.test.ts",
  "src/routes/contract.test.ts",
];

// The edge's tests run inside workerd (the Workers pool), against fake backends that the Node-side
// global setup starts on 127.0.0.1; their URLs and keyring reach the worker as bindings.
export default defineConfig({
  root: edgeDir,
  plugins: [
    cloudflareTest(async ({ inject }) => {
      const fakeBackends = inject<FakeBackends>("fakeBackends");
      return {
        wrangler: { configPath: fileURLToPath(new URL("../wrangler.toml", import.meta.url)) },
        miniflare: {
          bindings: {
            SDGATE_HMAC_KEYS: fakeBackends.hmacKeys,
            // The routing, cache and limits tests run on the static catalog (`tiny`, unversioned);
            // the model registry's serving tests pass `registry` in their own env (edgeEnv overrides).
            SDGATE_MODEL_GOVERNANCE: "catalog",
            FAKE_BACKENDS: { ...fakeBackends },
            // A fresh secret per run for signed image URLs (`response_format: "url"`).
            SDGATE_URL_SIGNING_KEY: `edge-test-${crypto.randomUUID()}`,
            // D1 migrations, applied before each test file by src/test-support/d1-migrations.ts.
            TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL("migrations", import.meta.url))),
            SDGATE_ADMIN_TOKEN: "edge-test-admin-token-0123456789abcdef",
            // Async jobs (src/jobs/): streaming fakes and a webhook receiver on 127.0.0.1.
            STREAM_FAKES: { ...inject<StreamFakes>("streamFakes") },
            SDGATE_WEBHOOK_SECRET: `edge-test-webhooks-${crypto.randomUUID()}`,
            SDGATE_WEBHOOK_ALLOW_LOOPBACK: "true",
            // Sign-in (src/identity/oidc/): a real OpenID Provider on 127.0.0.1, with its client.
            OIDC_TEST: { ...inject<OidcTestProvider>("oidcProvider") },
            // No fast sweep turns in the background: the tests' files share one runtime and D1, and
            // the sweep tests take the driver's turns themselves (src/sweeps/).
            SDGATE_SWEEP_TURN_SECONDS: "0",
          },
        },
      };
    }),
  ],
  test: {
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["src/test-support/d1-migrations.ts"],
    testTimeout: 10_000,
    projects: [
      // Most files share one runtime and its storage (`isolate: false`): a fresh workerd runtime
      // per file took four fifths of the edge's test time. They use their own keys, prompts and ids.
      {
        extends: true,
        test: { name: "edge", include: ["src/**/*.test.ts"], exclude: OWN_RUNTIME, isolate: false },
      },
      // These read or rewrite the one audit chain from its start (verify it whole, prune it, tamper
      // with a row) or evict a Durable Object other files use (the audit log, a coalescer shard), so
      // each gets a runtime and storage of its own.
      { extends: true, test: { name: "edge-audit-chain", include: OWN_RUNTIME } },
    ],
  },
});
