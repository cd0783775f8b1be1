import type { OidcTestProvider } from "./test-provider.d.ts";

// The OIDC tests' part of the test worker's env: the real OpenID Provider the global setup runs on 127.0.0.1.
declare global {
  namespace Cloudflare {
    interface Env {
      OIDC_TEST: OidcTestProvider;
    }
  }
}
