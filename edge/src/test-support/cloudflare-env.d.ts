import type { Env as EdgeEnv } from "../env.ts";
import type { FakeBackends } from "./fake-backends.ts";

// The test worker's env (`import { env } from "cloudflare:workers"`): the edge's bindings from
// wrangler.toml, the keyring from the test config, and the fake backends from the global setup.
declare global {
  namespace Cloudflare {
    interface Env extends EdgeEnv {
      FAKE_BACKENDS: FakeBackends;
    }
  }
}
