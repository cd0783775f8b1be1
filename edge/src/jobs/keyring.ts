import { Keyring, parseKeyringSpec } from "@sdgate/shared";

const keyrings = new Map<string, Keyring>();

/**
 * The keyring of a spec (`id:secret,…`) a generation carries from the route (replay-cache jobs and
 * async jobs alike), so it signs exactly as the route's isolate does. Made once per spec and isolate
 * (importing HMAC keys is not free).
 */
export function keyringFor(spec: string): Keyring {
  let keyring = keyrings.get(spec);
  if (!keyring) {
    const parsed = parseKeyringSpec(spec);
    // The spec was checked when the route's env was parsed; a bad one here is a bug.
    if (!parsed.ok) throw new Error("A generation carried an invalid keyring.");
    keyring = new Keyring(parsed.value);
    keyrings.set(spec, keyring);
  }
  return keyring;
}
