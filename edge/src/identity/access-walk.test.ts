import {
  OPERATIONS,
  type OperationAccess,
  type OperationId,
  type OperationSpec,
  permissionsOf,
  ROLES,
  type Role,
  routeIdOf,
} from "@sdgate/shared";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import app from "../index.ts";
import { ADMIN_TOKEN } from "../keys/testing.ts";
import { fleetEnv } from "../test-support/fleet.ts";
import { seedApiKey } from "../test-support/harness.ts";
import { addMember } from "./directory/index.ts";
import { db, identity, newTeam, rule, signedIn, unique } from "./directory/testing.ts";
import { createSession } from "./sessions/index.ts";

// Deny by default, walked: every operation of the contract, called with every kind of credential
// (none, API keys of each scope, the admin token, a session per role, Cloudflare Access for a person
// and a service), must be refused or admitted exactly as its `access` and `permission` say.

type Credential =
  | { kind: "none" }
  | { kind: "key"; scopes: string[]; secret: string }
  | { kind: "admin_token" }
  | { kind: "session"; role: Role | null; scope: "global" | "team"; userId: string }
  | { kind: "access"; role: Role | null; claims: Record<string, unknown> };

const AUD = "e".repeat(64);
const TEAM_DOMAIN = `walk-${crypto.randomUUID().slice(0, 8)}.cloudflareaccess.com`;
const walkEnv = { ...fleetEnv(["healthy"]), SDGATE_ACCESS_TEAM_DOMAIN: TEAM_DOMAIN, SDGATE_ACCESS_AUD: AUD };
let signingKey: CryptoKey;
const credentials: Credential[] = [];

async function sessionCookie(userId: string): Promise<string> {
  const session = await createSession(db, userId, { userAgent: null, ip: null });
  if (!session.ok) throw new Error(session.error);
  return `sdgate_session=${session.value.secret}`;
}

beforeAll(async () => {
  const keys = await generateKeyPair("RS256", { extractable: true });
  signingKey = keys.privateKey;
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: "walk", alg: "RS256", use: "sig" };
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) =>
    String(input instanceof Request ? input.url : input) === `https://${TEAM_DOMAIN}/cdn-cgi/access/certs`
      ? Response.json({ keys: [jwk] })
      : realFetch(input, init),
  );
  credentials.push({ kind: "none" }, { kind: "admin_token" });
  for (const scopes of [["read"], ["generate"]]) {
    credentials.push({ kind: "key", scopes, secret: await seedApiKey(scopes) });
  }
  for (const role of [...ROLES, null]) {
    const group = unique("walk");
    if (role !== null) await rule(group, null, role);
    const { user } = await signedIn(identity([group]));
    credentials.push({ kind: "session", role, scope: "global", userId: user.id });
  }
  const team = await newTeam("walk");
  const group = unique("walk-team");
  await rule(group, team.id, "team_admin");
  const { user } = await signedIn(identity([group]));
  credentials.push({ kind: "session", role: "team_admin", scope: "team", userId: user.id });
  // Access: a person made admin by hand after first sight, one with no role, and a service token.
  const admin = { sub: crypto.randomUUID(), email: `${unique("walk")}@example.com` };
  await answer("GET /v1/me", { kind: "access", role: null, claims: admin });
  const known = await db
    .prepare("SELECT id FROM users WHERE subject = ?")
    .bind(admin.sub)
    .first<{ id: string }>();
  await addMember(db, { user_id: known?.id ?? "", team_id: null, role: "admin" });
  credentials.push(
    { kind: "access", role: "admin", claims: admin },
    {
      kind: "access",
      role: null,
      claims: { sub: crypto.randomUUID(), email: `${unique("walk")}@example.com` },
    },
  );
}, 60_000);

afterAll(() => {
  vi.restoreAllMocks();
});

const SAMPLE_ID = "walk_0000000000000000";
const BODIES: Partial<Record<string, unknown>> = {
  "POST /v1/images/generations": { prompt: "a red square", seed: 7 },
  "POST /v1/estimate": { prompt: "a red square" },
  // A1111's generation routes check the key's scope once the body is read, as createImage does.
  "POST /sdapi/v1/txt2img": { prompt: "a red square", seed: 7 },
  "POST /sdapi/v1/img2img": { prompt: "a red square", seed: 7, init_images: ["iVBORw0KGgo="] },
  "POST /admin/keys": { name: "walk" },
  "POST /auth/logout": {},
};

async function headersFor(credential: Credential): Promise<Headers> {
  const headers = new Headers({ "CF-Connecting-IP": "192.0.2.201", "Sec-Fetch-Site": "same-origin" });
  switch (credential.kind) {
    case "key":
      headers.set("Authorization", `Bearer ${credential.secret}`);
      break;
    case "admin_token":
      headers.set("Authorization", `Bearer ${ADMIN_TOKEN}`);
      break;
    case "session":
      // A session of its own per request: signing out must not end the next request's.
      headers.set("Cookie", await sessionCookie(credential.userId));
      break;
    case "access": {
      const token = await new SignJWT(credential.claims)
        .setProtectedHeader({ alg: "RS256", kid: "walk" })
        .setIssuer(`https://${TEAM_DOMAIN}`)
        .setAudience(AUD)
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(signingKey);
      headers.set("Cf-Access-Jwt-Assertion", token);
      break;
    }
  }
  return headers;
}

async function answer(route: string, credential: Credential): Promise<number> {
  const [method = "GET", path = ""] = route.split(" ");
  const headers = await headersFor(credential);
  const body = BODIES[route];
  if (body !== undefined) headers.set("Content-Type", "application/json");
  const url = `http://localhost${path.replace("{id}", SAMPLE_ID)}`;
  const init = { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
  const response = await app.request(url, init, walkEnv);
  await response.body?.cancel();
  return response.status;
}

/** What the table says the credential gets: admitted (anything but 401 and 403), or refused with which. */
function expected(op: OperationSpec, credential: Credential): "admitted" | 401 | 403 {
  const access: OperationAccess = op.access;
  const globalPermissions = (role: Role | null, scope: "global" | "team") =>
    role === null || scope === "team" ? [] : permissionsOf([role]);
  switch (access.kind) {
    case "public":
    case "signed_link":
    case "browser":
      return "admitted";
    case "any_credential":
      return credential.kind === "none" ? 401 : "admitted";
    case "session":
      return credential.kind === "session" ? "admitted" : 401;
    case "api_key":
      if (credential.kind !== "key") return 401;
      return credential.scopes.includes(access.scope) || credential.scopes.includes("generate")
        ? "admitted"
        : 403;
    case "admin_token": {
      if (credential.kind === "admin_token") return "admitted";
      if (credential.kind === "none" || credential.kind === "key") return 401;
      const held = globalPermissions(
        credential.role,
        credential.kind === "session" ? credential.scope : "global",
      );
      // An operation scoped by the query (`GET /admin/usage`) answers a team role for that role's own
      // teams when the query names none; path- and body-scoped ones name a team the walk's person is not in.
      const ownTeams =
        op.teamScope === "query" && credential.kind === "session" && credential.scope === "team"
          ? permissionsOf(credential.role === null ? [] : [credential.role])
          : [];
      return op.permission !== null && [...held, ...ownTeams].includes(op.permission) ? "admitted" : 403;
    }
  }
}

function label(credential: Credential): string {
  switch (credential.kind) {
    case "key":
      return `key [${credential.scopes.join(",")}]`;
    case "session":
      return `session (${credential.scope} ${credential.role ?? "no role"})`;
    case "access":
      return `Access (${credential.claims.sub === "" ? "service" : (credential.role ?? "no role")})`;
    default:
      return credential.kind;
  }
}

describe("every operation, every credential", () => {
  const operations = Object.entries(OPERATIONS) as Array<[OperationId, OperationSpec]>;
  it.each(operations)("%s admits exactly whom its access and permission name", async (id, op) => {
    const route = routeIdOf(id);
    for (const credential of credentials) {
      const status = await answer(route, credential);
      const want = expected(op, credential);
      const what = `${route} with ${label(credential)}: ${status}`;
      if (want === "admitted") expect([401, 403], what).not.toContain(status);
      else expect(status, what).toBe(want);
    }
  });
});
