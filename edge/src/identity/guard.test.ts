import { env } from "cloudflare:workers";
import type { Role } from "@sdgate/shared";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { call } from "../keys/testing.ts";
import { addMember } from "./directory/index.ts";
import { db, identity, newTeam, rule, signedIn, unique } from "./directory/testing.ts";
import { createSession, revokeSession } from "./sessions/index.ts";

/** A person whose IdP group maps to `role` (globally, or in a new team), signed in, with a session. */
async function personWith(role: Role | null, scope: "global" | "team" = "global") {
  const group = unique("group");
  const team = scope === "team" ? await newTeam() : null;
  if (role !== null) await rule(group, team?.id ?? null, role);
  const { user } = await signedIn(identity([group]));
  const session = await createSession(db, user.id, { userAgent: "test", ip: "192.0.2.1" });
  if (!session.ok) throw new Error(session.error);
  return { user, team, secret: session.value.secret, cookie: `sdgate_session=${session.value.secret}` };
}

function asPerson(cookie: string, init: RequestInit = {}) {
  return { ...init, headers: { Cookie: cookie, ...(init.headers as Record<string, string>) } };
}

describe("admin operations for people", () => {
  it("admit a global admin by session, and the audit row names the person", async () => {
    const ada = await personWith("admin");
    const list = await call("/admin/keys", asPerson(ada.cookie));
    expect(list.status).toBe(200);
    const created = await call(
      "/admin/keys",
      asPerson(ada.cookie, {
        method: "POST",
        body: JSON.stringify({ name: "made by a person" }),
        headers: { "Content-Type": "application/json", "Sec-Fetch-Site": "same-origin" },
      }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const audit = await call(`/admin/audit?key_id=${id}`, { admin: true });
    const [row] = (
      (await audit.json()) as {
        data: Array<{ actor: string; action: string; detail: Record<string, unknown> }>;
      }
    ).data;
    expect(row).toMatchObject({ actor: `user:${ada.user.id}`, action: "key.create" });
    expect(row?.detail).toMatchObject({ actor_email: ada.user.email });
  });

  it("refuse a state-changing request on a session that another site started, or that no page sent", async () => {
    const ada = await personWith("admin");
    const post = (headers: Record<string, string>) =>
      call(
        "/admin/keys",
        asPerson(ada.cookie, {
          method: "POST",
          body: JSON.stringify({ name: "csrf" }),
          headers: { "Content-Type": "application/json", ...headers },
        }),
      );
    expect((await post({ "Sec-Fetch-Site": "cross-site" })).status).toBe(403);
    expect((await post({ Origin: "https://evil.example" })).status).toBe(403);
    expect((await post({})).status).toBe(403);
    expect((await post({ Origin: "http://localhost" })).status).toBe(201);
  });

  it("deny by default: a team role, a money-only role and no role reach no deployment-wide route", async () => {
    const developer = await personWith("developer", "team");
    const denied = await call("/admin/keys", asPerson(developer.cookie));
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { message: string } }).error.message).toContain("'keys.read'");
    const billing = await personWith("billing");
    expect((await call("/admin/usage", asPerson(billing.cookie))).status).toBe(200);
    expect((await call("/admin/keys", asPerson(billing.cookie))).status).toBe(403);
    expect((await call("/admin/audit", asPerson(billing.cookie))).status).toBe(403);
    const nobody = await personWith(null);
    expect((await call("/admin/usage", asPerson(nobody.cookie))).status).toBe(403);
  });

  it("end with the session: a revoked or unknown session is no credential (401)", async () => {
    const ada = await personWith("admin");
    await revokeSession(db, ada.secret);
    expect((await call("/admin/keys", asPerson(ada.cookie))).status).toBe(401);
    expect((await call("/admin/keys", asPerson(`sdgate_session=sess_${"A".repeat(43)}`))).status).toBe(401);
  });
});

describe("GET /v1/me for a person", () => {
  it("names them, their teams and roles, and what they may do", async () => {
    const dev = await personWith("developer", "team");
    const res = await call("/v1/me", asPerson(dev.cookie));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      kind: "user",
      id: dev.user.id,
      email: dev.user.email,
      roles: [],
      teams: [{ id: dev.team?.id, name: dev.team?.name, role: "developer" }],
      permissions: expect.arrayContaining(["images.generate", "keys.create"]),
    });
  });
});

describe("people and services through Cloudflare Access", () => {
  const AUD = "d".repeat(64);

  /** An env with Access on (a team domain of its own, so no other test's keys are cached for it). */
  async function accessSetup(groups: string[] = []) {
    const team = `${unique("t").slice(0, 20).toLowerCase()}.cloudflareaccess.com`;
    const keys = await generateKeyPair("RS256", { extractable: true });
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url === `https://${team}/cdn-cgi/access/certs`) return Response.json({ keys: [jwk] });
      // Access's identity endpoint, as it answers with the person's application token as a cookie.
      if (url === `https://${team}/cdn-cgi/access/get-identity`) {
        const cookie = new Headers(init?.headers).get("Cookie") ?? "";
        return cookie.startsWith("CF_Authorization=ey")
          ? Response.json({
              email: "x@example.com",
              groups: groups.map((name) => ({ id: `id-${name}`, name })),
            })
          : new Response("", { status: 401 });
      }
      return realFetch(input, init);
    });
    const testEnv = { ...env, SDGATE_ACCESS_TEAM_DOMAIN: team, SDGATE_ACCESS_AUD: AUD };
    const token = (claims: Record<string, unknown>, signer: CryptoKey) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "k1" })
        .setIssuer(`https://${team}`)
        .setAudience(AUD)
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(signer);
    const asAccess = async (path: string, claims: Record<string, unknown>, signer = keys.privateKey) =>
      call(path, { headers: { "Cf-Access-Jwt-Assertion": await token(claims, signer) } }, testEnv);
    return { asAccess };
  }

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("signs a person in on first sight with no role, then grants what an admin gave them", async () => {
    const { asAccess } = await accessSetup();
    const person = { sub: crypto.randomUUID(), email: `${unique("a")}@example.com` };
    const first = await asAccess("/v1/me", person);
    expect(first.status).toBe(200);
    const me = (await first.json()) as { id: string; kind: string; permissions: string[] };
    expect(me).toMatchObject({ kind: "user", permissions: [] });
    expect((await asAccess("/admin/keys", person)).status).toBe(403);
    const granted = await addMember(db, { user_id: me.id, team_id: null, role: "admin" });
    expect(granted.ok).toBe(true);
    expect((await asAccess("/admin/keys", person)).status).toBe(200);
  });

  it("maps the person's groups from Access's identity endpoint to roles at first sight", async () => {
    const admins = unique("access-admins");
    await rule(admins, null, "admin");
    const { asAccess } = await accessSetup([admins, "unmapped"]);
    const person = { sub: crypto.randomUUID(), email: `${unique("g")}@example.com` };
    expect(await (await asAccess("/v1/me", person)).json()).toMatchObject({ kind: "user", roles: ["admin"] });
    expect((await asAccess("/admin/audit", person)).status).toBe(200);
  });

  it("gives a service token the roles mapped to service:<Client ID>", async () => {
    const { asAccess } = await accessSetup();
    const clientId = `${unique("svc")}.access`;
    await rule(`service:${clientId}`, null, "billing");
    const service = { sub: "", common_name: clientId };
    expect(await (await asAccess("/v1/me", service)).json()).toMatchObject({
      kind: "service",
      id: clientId,
      roles: ["billing"],
      permissions: ["usage.read"],
    });
    expect((await asAccess("/admin/usage", service)).status).toBe(200);
    expect((await asAccess("/admin/keys", service)).status).toBe(403);
  });

  it("treats a forged assertion, or one for nobody, as no credential (401)", async () => {
    const { asAccess } = await accessSetup();
    const admin = { sub: crypto.randomUUID(), email: `${unique("b")}@example.com` };
    const forger = await generateKeyPair("RS256");
    expect((await asAccess("/admin/keys", admin, forger.privateKey)).status).toBe(401);
    expect((await asAccess("/v1/me", admin, forger.privateKey)).status).toBe(401);
    expect((await asAccess("/admin/keys", { sub: "", email: "" })).status).toBe(401);
  });
});
