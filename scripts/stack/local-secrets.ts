import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomHex } from "@sdgate/shared";

/** The shortest admin token the edge accepts (edge/src/keys/config.ts: MIN_ADMIN_TOKEN_CHARS). */
export const MIN_ADMIN_TOKEN_CHARS = 32;

/** The secrets the local edge and backends share, kept beside the edge's state they sign. */
export interface LocalSecrets {
  /** `SDGATE_HMAC_KEYS` of the edge and both backends: `local:<hex>`. */
  hmacKeys: string;
  /** `SDGATE_URL_SIGNING_KEY`: signs `url` image links. */
  urlSigningKey: string;
  /** `SDGATE_WEBHOOK_SECRET`: each key's webhook secret derives from it. */
  webhookSecret: string;
  /** `SDGATE_ADMIN_TOKEN`: the one given, or the one made for this state folder. */
  adminToken: string;
}

type StoredSecrets = LocalSecrets & { version: 1 };

/** Why an admin token cannot be used, or `null` when it can. */
export function adminTokenProblem(token: string): string | null {
  if (token.length < MIN_ADMIN_TOKEN_CHARS)
    return `must be at least ${MIN_ADMIN_TOKEN_CHARS} characters (it has ${token.length}); \`openssl rand -hex 32\` makes one`;
  // It becomes one line of edge.env and a Bearer credential; a newline would add a variable.
  if (/\s/.test(token)) return "must not contain whitespace";
  return null;
}

function freshSecrets(): StoredSecrets {
  return {
    version: 1,
    hmacKeys: `local:${randomHex(32)}`,
    urlSigningKey: randomHex(32),
    webhookSecret: randomHex(32),
    adminToken: randomHex(32),
  };
}

function parseStored(text: string, path: string): StoredSecrets {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON; delete it to make new local secrets.`);
  }
  const stored = value as Partial<Record<keyof StoredSecrets, unknown>> | null;
  const fields = ["hmacKeys", "urlSigningKey", "webhookSecret", "adminToken"] as const;
  if (
    stored === null ||
    typeof stored !== "object" ||
    stored.version !== 1 ||
    fields.some((field) => typeof stored[field] !== "string" || (stored[field] as string).length < 32)
  ) {
    throw new Error(`${path} does not hold sdgate's local secrets; delete it to make new ones.`);
  }
  return stored as StoredSecrets;
}

/**
 * The local stack's secrets for `stateDir`: made once into `stateDir/secrets.json` (mode 0600) and
 * read back on every later start. The edge's state in that folder (async jobs, signed links, webhook
 * secrets) was signed with them, so a new secret on each start would turn that state into 401s.
 * An `adminToken` given (`SDGATE_ADMIN_TOKEN`) is used instead of the stored one, without replacing it.
 *
 * @example
 * const { hmacKeys, adminToken } = resolveLocalSecrets(".sdgate");
 */
export function resolveLocalSecrets(stateDir: string, given: { adminToken?: string } = {}): LocalSecrets {
  if (given.adminToken !== undefined) {
    const problem = adminTokenProblem(given.adminToken);
    if (problem !== null) throw new Error(`SDGATE_ADMIN_TOKEN ${problem}.`);
  }
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, "secrets.json");
  let stored: StoredSecrets;
  // Written whole, then linked into place: two stacks starting on one folder at once agree on one set,
  // and neither reads a half-written file.
  const draft = `${path}.${process.pid}.tmp`;
  const fresh = freshSecrets();
  writeFileSync(draft, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600 });
  try {
    linkSync(draft, path);
    stored = fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // A copy or an editor may have widened it; these secrets open the admin API.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    stored = parseStored(readFileSync(path, "utf8"), path);
  } finally {
    rmSync(draft, { force: true });
  }
  const { version: _, ...secrets } = stored;
  return { ...secrets, adminToken: given.adminToken ?? secrets.adminToken };
}
