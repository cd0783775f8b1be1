import { utf8 } from "@sdgate/shared";
import { toBase64 } from "../cache/record.ts";
import { SECRET_PREFIX } from "./signature.ts";

/**
 * An API key's webhook signing secret: HMAC-SHA256 of the key id under `SDGATE_WEBHOOK_SECRET`,
 * written `whsec_<base64>`. Each key gets its own, so one tenant can never sign a webhook another
 * tenant's receiver would accept; nothing is stored, and rotating the server secret rotates all.
 *
 * @example
 * const secret = await webhookSecretFor(config.jobs.webhookSecret, apiKey.id);
 */
export async function webhookSecretFor(serverSecret: string, keyId: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    utf8(serverSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, utf8(`sdgate-webhook:${keyId}`));
  return `${SECRET_PREFIX}${toBase64(new Uint8Array(mac))}`;
}
