import { SdgateError } from "@sdgate/shared";

/** The request header that asks for a webhook when the job ends (the body schema is OpenAI's, kept strict). */
export const WEBHOOK_URL_HEADER = "Sdgate-Webhook-Url";

export const MAX_WEBHOOK_URL_CHARS = 2_048;

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

// Literal private, link-local and loopback addresses: a webhook is a request the edge makes on the
// caller's behalf, so it must not be pointed at infrastructure the caller cannot reach itself.
function privateAddress(hostname: string): boolean {
  if (LOOPBACK_HOSTS.has(hostname) || hostname.endsWith(".localhost")) return true;
  if (hostname.startsWith("[")) return true; // Literal IPv6: refused outright; use a name.
  const octets = hostname.split(".").map(Number);
  if (octets.length !== 4 || octets.some((octet) => !Number.isInteger(octet))) return false;
  const [a = 0, b = 0] = octets;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

function refuse(message: string): SdgateError {
  return new SdgateError("invalid_request", `${WEBHOOK_URL_HEADER} ${message}`, {
    param: WEBHOOK_URL_HEADER,
  });
}

/**
 * The webhook URL of a request, checked: `https://` to a public host, or with `allowLoopback`
 * (`SDGATE_WEBHOOK_ALLOW_LOOPBACK=true`, for development) `http://` to 127.0.0.1, localhost or [::1].
 * Throws a 400 naming the header otherwise.
 *
 * @example
 * const url = checkWebhookUrl(c.req.header("Sdgate-Webhook-Url"), { allowLoopback: false });
 */
export function checkWebhookUrl(
  value: string | undefined,
  options: { allowLoopback: boolean },
): string | null {
  if (value === undefined || value.trim() === "") return null;
  if (value.length > MAX_WEBHOOK_URL_CHARS)
    return refuseThrow(`must be at most ${MAX_WEBHOOK_URL_CHARS} characters.`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return refuseThrow("must be an absolute URL.");
  }
  if (url.username !== "" || url.password !== "") return refuseThrow("must not carry credentials.");
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (loopback && options.allowLoopback && (url.protocol === "http:" || url.protocol === "https:"))
    return url.href;
  if (url.protocol !== "https:") return refuseThrow("must be an https:// URL.");
  if (privateAddress(url.hostname)) return refuseThrow("must point at a public host.");
  return url.href;
}

function refuseThrow(message: string): never {
  throw refuse(message);
}
