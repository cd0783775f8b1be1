/**
 * What the client asked of the replay cache (RFC 9111 §5.2.1): `use` it; `refresh` it (`no-cache`:
 * don't answer from it, run the job and store the new result); or `skip` it (`no-store`: neither
 * read nor write). `Pragma: no-cache` counts when there is no `Cache-Control` (RFC 9111 §5.4).
 */
export type CacheDirective = "use" | "refresh" | "skip";

export function cacheDirective(cacheControl: string | undefined, pragma: string | undefined): CacheDirective {
  const names = (cacheControl ?? "").split(",").map((part) => part.split("=")[0]?.trim().toLowerCase() ?? "");
  if (names.includes("no-store")) return "skip";
  if (names.includes("no-cache")) return "refresh";
  if (cacheControl === undefined && pragma?.toLowerCase().includes("no-cache")) return "refresh";
  return "use";
}
