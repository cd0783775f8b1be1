import { Sdgate } from "@sdgate/sdk";

// The SDK sends an API key or the admin token; a person in the Studio has a session cookie instead.
// It is given a placeholder token that this fetch drops, so the calls still go through the SDK (the
// contract's paths, response schemas and typed errors) and the browser adds the cookie itself.
const PLACEHOLDER = "session-cookie";

/**
 * A client for the calls a signed-in person makes on their session: `GET /v1/me`, `POST /admin/keys`.
 * Same-origin only: the edge refuses a state-changing session call from another site.
 *
 * @example
 * const me = await sessionClient().me();
 */
export function sessionClient(origin = location.origin): Sdgate {
  return new Sdgate({
    baseUrl: origin,
    adminToken: PLACEHOLDER,
    maxRetries: 0,
    fetch: (input, init) => {
      const headers = new Headers(init.headers);
      headers.delete("Authorization");
      return fetch(input, { ...init, headers, credentials: "same-origin" });
    },
  });
}

/**
 * The client of the playground: the person's Studio key for one team.
 *
 * @example
 * const models = await keyClient("sk_…").models.list();
 */
export function keyClient(apiKey: string, origin = location.origin): Sdgate {
  return new Sdgate({ baseUrl: origin, apiKey, timeoutMs: 120_000 });
}
