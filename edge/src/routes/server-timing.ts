import type { Served } from "../gateway/serve.ts";

/**
 * The `Server-Timing` header (W3C) of a generation: where its time went, so that a deployment can
 * read the gateway's own share of every request (browsers' developer tools and `curl -v` show it).
 * - `fleet`: the backends, every attempt and failover included; `engine`: the part the backend's
 *   engine reported for itself; `edge`: the rest (auth, limits, cache, signing, response);
 * - a replay is all `edge`; a request that joined another's job has only its `total`, since the
 *   fleet's time was the other request's.
 * Workers' clock advances only at I/O, so each duration runs from one I/O to another.
 *
 * @example
 * serverTiming(result, Date.now() - startedMs) // 'fleet;dur=412;desc="1 attempt", engine;dur=398, edge;dur=3, total;dur=415'
 */
export function serverTiming(result: Served, totalMs: number): string {
  const entries: string[] = [];
  const { backend } = result;
  if (backend === null) {
    entries.push(`edge;dur=${totalMs}`);
  } else if (result.cache !== "COALESCED") {
    const attempts = `${backend.attempts} attempt${backend.attempts === 1 ? "" : "s"}`;
    entries.push(`fleet;dur=${backend.fleetMs};desc="${attempts}"`);
    entries.push(`engine;dur=${Math.round(backend.engineMs)}`);
    entries.push(`edge;dur=${Math.max(0, totalMs - backend.fleetMs)}`);
  }
  entries.push(`total;dur=${totalMs}`);
  return entries.join(", ");
}
