import type { OutputFormat } from "@sdgate/shared";
import { tenantTag } from "../cache/key.ts";
import { IMAGE_URL_TTL_S, signedImagePath } from "../cache/signed-url.ts";
import { inputDigestsOf } from "./inputs.ts";
import { ownerOfRun, type StoredRun } from "./store.ts";

/** What signs a run's image links: the edge's URL signing key and the origin links point at. */
export interface LinkSigner {
  secret: string;
  origin: string;
}

/**
 * Each image of a run, its seed, a signed link valid for {@link IMAGE_URL_TTL_S} seconds and one to its
 * thumbnail (signed apart: one's signature never opens the other); `null` links where the edge signs
 * none, the run did not succeed, or its images were kept out of reach.
 *
 * @example
 * const images = await imagesOf(row, { secret: config.urlSigningKey, origin: "https://images.example.com" });
 */
export async function imagesOf(
  row: Pick<StoredRun, "seeds" | "status" | "tenant_tag" | "cache_key" | "output_format">,
  links: LinkSigner | null,
): Promise<Array<{ seed: number; url: string | null; thumb_url: string | null }>> {
  const seeds = JSON.parse(row.seeds) as number[];
  const expiresS = Math.floor(Date.now() / 1000) + IMAGE_URL_TTL_S;
  return Promise.all(
    seeds.map(async (seed, index) => {
      if (links === null || row.status !== "succeeded" || row.tenant_tag === null || row.cache_key === null)
        return { seed, url: null, thumb_url: null };
      const id = {
        tenantTag: row.tenant_tag,
        cacheKey: row.cache_key,
        index,
        format: row.output_format as OutputFormat,
      };
      const thumbnail = { ...id, format: "webp" as const, thumbnail: true as const };
      const [url, thumbUrl] = await Promise.all([
        signedImagePath(links.secret, id, expiresS),
        signedImagePath(links.secret, thumbnail, expiresS),
      ]);
      return { seed, url: `${links.origin}${url}`, thumb_url: `${links.origin}${thumbUrl}` };
    }),
  );
}

/**
 * Each input image a run's request refers to, by digest, with a signed link to its bytes in its
 * owner's namespace (valid for {@link IMAGE_URL_TTL_S} seconds; `null` where the edge signs none).
 * Only the team's own view of a run lists them: a share shows the recipe, not the inputs.
 *
 * @example
 * const inputs = await inputsOf(row, links); // [{ digest: "sha256:…", url: "https://…/v1/images/…-input-…" }]
 */
export async function inputsOf(
  row: Pick<StoredRun, "request" | "team_id" | "key_id">,
  links: LinkSigner | null,
): Promise<Array<{ digest: string; url: string | null }>> {
  const digests = inputDigestsOf(JSON.parse(row.request) as Record<string, unknown>);
  if (links === null || digests.length === 0) return digests.map((digest) => ({ digest, url: null }));
  const owner = await tenantTag(ownerOfRun(row));
  const expiresS = Math.floor(Date.now() / 1000) + IMAGE_URL_TTL_S;
  return Promise.all(
    digests.map(async (digest) => ({
      digest,
      url: `${links.origin}${await signedImagePath(links.secret, { tenantTag: owner, inputDigest: digest }, expiresS)}`,
    })),
  );
}

/**
 * What every view of a run shows, the team's and a share link's alike: when and how it ran, what it
 * asked, and its images (the request as given: a share narrows it).
 *
 * @example
 * const run = { object: "run", ...(await runRecordOf(row, links)), key_id: row.key_id };
 */
export async function runRecordOf(row: StoredRun, links: LinkSigner | null) {
  return {
    id: row.id,
    created_at: row.created_at,
    status: row.status,
    model: row.model,
    model_version: row.model_version,
    prompt: row.prompt,
    negative_prompt: row.negative_prompt,
    request: JSON.parse(row.request) as Record<string, unknown>,
    images: await imagesOf(row, links),
  };
}
