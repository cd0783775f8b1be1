import { z } from "zod";
import type { AccessConfig } from "./access-config.ts";

// What Access's identity endpoint answers about a person, as far as sdgate reads it: each group as
// its identity provider named it (Okta and Google give names, Entra ID ids as well).
const identitySchema = z.object({
  groups: z
    .array(z.object({ id: z.string().optional(), name: z.string().optional(), email: z.string().optional() }))
    .optional(),
});

/**
 * A person's groups, as Cloudflare Access knows them from the identity provider: the application
 * token carries none, so they are asked of the team's identity endpoint with the token itself. Each
 * group is its name, or its id where the provider gives no name. `null` when Access did not answer
 * (the person's last known groups then stay).
 *
 * @example
 * const groups = await accessGroups(config, token); // ["sdgate-admins", "ml-research"]
 */
export async function accessGroups(config: AccessConfig, token: string): Promise<string[] | null> {
  try {
    const response = await fetch(`${config.issuer}/cdn-cgi/access/get-identity`, {
      headers: { Cookie: `CF_Authorization=${token}`, Accept: "application/json" },
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) return null;
    const identity = identitySchema.safeParse(await response.json());
    if (!identity.success) return null;
    return (identity.data.groups ?? []).flatMap((group) => {
      const named = group.name ?? group.id;
      return named === undefined || named === "" ? [] : [named];
    });
  } catch {
    return null;
  }
}
