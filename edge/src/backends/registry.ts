import { z } from "zod";

/**
 * One GPU backend pool as the registry lists it (Portkey-style: a backend is plain data). `name`
 * is public (it is sent back in `X-Backend`), `url` is not.
 */
export const backendSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, '.', '_' or '-'"),
  url: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .refine((url) => {
      const parsed = new URL(url);
      return parsed.search === "" && parsed.hash === "";
    }, "must not have a query or fragment")
    .transform((url) => url.replace(/\/+$/, "")),
  provider: z.string().min(1).max(64),
  region: z.string().min(1).max(64),
  /** Lower is tried first. */
  priority: z.number().int().min(0),
});
export type Backend = z.infer<typeof backendSchema>;

export const backendsSchema = z
  .array(backendSchema)
  .min(1, "must list at least one backend")
  .refine(
    (backends) => new Set(backends.map((b) => b.name)).size === backends.length,
    "names must be unique",
  );

/** The order in which backends are tried: by `priority`, lowest first; ties keep their listed order. */
export function byPriority(backends: readonly Backend[]): Backend[] {
  return backends
    .map((backend, index) => ({ backend, index }))
    .sort((a, b) => a.backend.priority - b.backend.priority || a.index - b.index)
    .map(({ backend }) => backend);
}
