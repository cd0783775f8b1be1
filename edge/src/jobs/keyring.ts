import { Keyring, parseKeyringSpec } from "@sdgate/shared";

const keyrings = new Map<string, Keyring>();

/**
 * The keyring of a spec (`id:secret,…`) a job carries from the route, so the job signs exactly as the
 * route's isolate does. Made once per spec and isolate (importing HMAC keys is not free).
 */
export function keyringFor(spec: string): Keyring {
  let keyring = keyrings.get(spec);
  if (!keyring) {
    const parsed = parseKeyringSpec(spec);
    // The spec was checked when the route's env was parsed; a bad one here is a bug.
    if (!parsed.ok) throw new Error("A job carried an invalid keyring.");
    keyring = new Keyring(parsed.value);
    keyrings.set(spec, keyring);
  }
  return keyring;
}
