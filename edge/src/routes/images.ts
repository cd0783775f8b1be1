import { SdgateError, type UrlGenerationResponse } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { summary } from "../cache/record.ts";
import {
  checkImageLink,
  IMAGE_KEY_PATTERN,
  IMAGE_URL_TTL_S,
  type ImageId,
  INPUT_ID_PATTERN,
  type InputId,
  signedImagePath,
} from "../cache/signed-url.ts";
import { imageObjectKey, thumbnailObjectKey } from "../cache/store.ts";
import type { AppEnv } from "../hono-env.ts";
import { inputObjectKey } from "../runs/inputs.ts";
import { onOperation } from "./operation.ts";

/**
 * The `url` form of a generation response: OpenAI's `data[].url` (plus each image's `seed`), links to
 * `GET /v1/images/{id}` on this edge, signed and valid for {@link IMAGE_URL_TTL_S} seconds.
 */
export async function urlResponseBody(
  c: Context<AppEnv>,
  b64Body: string,
  where: { tenantTag: string; cacheKey: string },
): Promise<string> {
  const secret = c.var.config.urlSigningKey;
  if (secret === null) throw new Error("url responses need SDGATE_URL_SIGNING_KEY");
  const { data, ...rest } = summary(b64Body);
  const expiresS = Math.floor(Date.now() / 1000) + IMAGE_URL_TTL_S;
  const origin = new URL(c.req.url).origin;
  const images = await Promise.all(
    data.map(async (image, index) => ({
      url: `${origin}${await signedImagePath(secret, { ...where, index, format: rest.output_format }, expiresS)}`,
      seed: image.seed,
      ...(image.safety ? { safety: image.safety } : {}),
    })),
  );
  const body: UrlGenerationResponse = { ...rest, data: images };
  return JSON.stringify(body);
}

/** Where a linked object is in R2: an image, its thumbnail, or a run's input image. */
function objectKeyOf(id: ImageId | InputId): string {
  if ("inputDigest" in id) return inputObjectKey(id.tenantTag, id.inputDigest);
  return (id.thumbnail ? thumbnailObjectKey : imageObjectKey)(id.tenantTag, id.cacheKey, id.index);
}

function notFound(message: string): SdgateError {
  return new SdgateError("not_found", message);
}

/**
 * `GET /v1/images/{id}?expires=…&sig=…`: an image (or its thumbnail, `…-thumb.webp`, as runs link
 * them, or a run's input image, `…-input-{sha256}`) behind a signed link, from R2, with its content
 * type. No API key: the signature is the permission. A forged, malformed or expired link is a 404
 * (the error names which, so an honest client knows to ask for a new link); so is a missing image.
 */
export function registerImages(app: Hono<AppEnv>): void {
  // Only ids shaped like ours match, so `GET /v1/images/generations` stays a 405 and junk a plain 404.
  const idPattern = `[0-9a-f]{32}-(?:${IMAGE_KEY_PATTERN})-[0-9]{1,2}(?:-thumb)?\\.[a-z]{3,4}|${INPUT_ID_PATTERN}`;
  onOperation(app, { id: "getImageFile", idPattern }, async (c) => {
    const secret = c.var.config.urlSigningKey;
    if (secret === null) throw notFound("Image links are not enabled on this server.");
    const check = await checkImageLink(
      secret,
      c.req.param("id"),
      c.req.query("expires"),
      c.req.query("sig"),
      Math.floor(Date.now() / 1000),
    );
    if (!check.ok) {
      throw notFound(
        check.reason === "expired"
          ? "This image link has expired; generate the image again (it is a cache hit) for a new link."
          : "No such image, or the link's signature is not valid.",
      );
    }
    const object = await c.var.config.images.get(objectKeyOf(check.id));
    if (object === null) throw notFound("No such image.");
    const maxAgeS = Math.max(0, check.expiresS - Math.floor(Date.now() / 1000));
    return new Response(object.body, {
      headers: {
        "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
        "Content-Length": String(object.size),
        "Cache-Control": `private, max-age=${maxAgeS}, immutable`,
        ETag: object.httpEtag,
        "X-Content-Type-Options": "nosniff",
        "X-Request-Id": c.var.requestId,
      },
    });
  });
}
