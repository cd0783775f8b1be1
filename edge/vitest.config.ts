import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import type { FakeBackends } from "./src/test-support/fake-backends.ts";

const edgeDir = fileURLToPath(new URL(".", import.meta.url));

// The edge's tests run inside workerd (the Workers pool), against fake backends that the Node-side
// global setup starts on 127.0.0.1; their URLs and keyring reach the worker as bindings.
export default defineConfig({
  root: edgeDir,
  plugins: [
    cloudflareTest(({ inject }) => {
      const fakeBackends = inject<FakeBackends>("fakeBackends");
      return {
        wrangler: { configPath: fileURLToPath(new URL("../wrangler.toml", import.meta.url)) },
        miniflare: {
          bindings: {
            SDGATE_HMAC_KEYS: fakeBackends.hmacKeys,
            FAKE_BACKENDS: { ...fakeBackends },
          },
        },
      };
    }),
  ],
  test: {
    name: "edge",
    include: ["src/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 10_000,
  },
});
