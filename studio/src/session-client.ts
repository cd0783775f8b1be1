import { Sdgate } from "@sdgate/sdk";

/**
 * A client for the calls a signed-in person makes on their session: `GET /v1/me` and the admin API
 * within their roles, on the SDK's session mode (the browser's cookie, no bearer token). Same-origin
 * only: the edge refuses a state-changing session call from another site.
 *
 * @example
 * const me = await sessionClient().me();
 */
export function sessionClient(origin = location.origin): Sdgate {
  return new Sdgate({ baseUrl: origin, session: true, maxRetries: 0 });
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
