import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { describe, expect, it, vi } from "vitest";
import { type AccessConfig, accessConfigOf } from "./access-config.ts";
import { verifyAccessJwt } from "./access-jwt.ts";

const AUD = "a".repeat(64);
const config = accessConfigOf({
  SDGATE_ACCESS_TEAM_DOMAIN: "acme.cloudflareaccess.com",
  SDGATE_ACCESS_AUD: AUD,
});

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>> & { kid: string };

async function keyPair(kid: string): Promise<KeyPair> {
  return { ...(await generateKeyPair("RS256", { extractable: true })), kid };
}

/** The team's certs endpoint, as a fetch that serves `published` and counts its calls. */
function certs(published: KeyPair[]) {
  const served = { calls: 0, keys: published };
  const fetchKeys = async () => {
    served.calls++;
    const keys: JWK[] = await Promise.all(
      served.keys.map(async ({ publicKey, kid }) => ({
        ...(await exportJWK(publicKey)),
        kid,
        alg: "RS256",
        use: "sig",
      })),
    );
    return Response.json({ keys });
  };
  return { served, fetchKeys };
}

function sign(
  key: KeyPair,
  claims: Record<string, unknown>,
  options: { exp?: string; iss?: string; aud?: string } = {},
) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: key.kid })
    .setIssuer(options.iss ?? "https://acme.cloudflareaccess.com")
    .setAudience(options.aud ?? AUD)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? "5m")
    .sign(key.privateKey);
}

const USER = {
  sub: "7335d417-61da-459d-899c-0a01c76a2f94",
  email: "ada@example.com",
  type: "app",
  country: "GB",
};
const SERVICE = { sub: "", common_name: "88bf3b6d86161464f6509f7219099e57.access" };

describe("verifyAccessJwt", () => {
  if (config === null) throw new Error("config expected");
  const team: AccessConfig = config;

  it("knows a person and a service token", async () => {
    const key = await keyPair("k1");
    const { fetchKeys } = certs([key]);
    expect(await verifyAccessJwt(team, await sign(key, USER), fetchKeys)).toEqual({
      ok: true,
      identity: { kind: "user", subject: USER.sub, email: USER.email, country: "GB" },
    });
    expect(await verifyAccessJwt(team, await sign(key, SERVICE), fetchKeys)).toEqual({
      ok: true,
      identity: { kind: "service", clientId: SERVICE.common_name },
    });
  });

  it("refuses another application's or another team's token, an expired one and a forged one", async () => {
    const key = await keyPair("k1");
    const forger = await keyPair("k1");
    const { fetchKeys } = certs([key]);
    const refusal = async (token: string) => verifyAccessJwt(team, token, fetchKeys);
    expect(await refusal(await sign(key, USER, { aud: "b".repeat(64) }))).toEqual({
      ok: false,
      reason: "claims",
    });
    expect(await refusal(await sign(key, USER, { iss: "https://evil.cloudflareaccess.com" }))).toEqual({
      ok: false,
      reason: "claims",
    });
    expect(await refusal(await sign(key, USER, { exp: "-2m" }))).toEqual({ ok: false, reason: "expired" });
    expect(await refusal(await sign(forger, USER))).toEqual({ ok: false, reason: "signature" });
    expect(await refusal("not.a.jwt")).toEqual({ ok: false, reason: "malformed" });
    // A token with neither a person nor a service in it.
    expect(await refusal(await sign(key, { sub: "x" }))).toEqual({ ok: false, reason: "claims" });
  });

  it("refuses an unsigned token and one signed with a shared secret", async () => {
    const key = await keyPair("k1");
    const { fetchKeys } = certs([key]);
    const header = btoa(JSON.stringify({ alg: "none", kid: "k1" })).replaceAll("=", "");
    const body = btoa(JSON.stringify({ ...USER, iss: team.issuer, aud: AUD, exp: 9e9, iat: 1 })).replaceAll(
      "=",
      "",
    );
    expect((await verifyAccessJwt(team, `${header}.${body}.`, fetchKeys)).ok).toBe(false);
    const hmac = await new SignJWT(USER)
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .setIssuer(team.issuer)
      .setAudience(AUD)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("s".repeat(32)));
    expect((await verifyAccessJwt(team, hmac, fetchKeys)).ok).toBe(false);
  });

  it("follows a key rotation: a token signed with a key it has not seen fetches the certs again", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const old = await keyPair("old");
      const { served, fetchKeys } = certs([old]);
      expect((await verifyAccessJwt(team, await sign(old, USER), fetchKeys)).ok).toBe(true);
      expect((await verifyAccessJwt(team, await sign(old, USER), fetchKeys)).ok).toBe(true);
      expect(served.calls).toBe(1);
      const rotated = await keyPair("new");
      served.keys = [rotated, old];
      // Within the 30 s cooldown an unknown key is refused without asking again.
      expect(await verifyAccessJwt(team, await sign(rotated, USER), fetchKeys)).toEqual({
        ok: false,
        reason: "unknown_key",
      });
      expect(served.calls).toBe(1);
      vi.setSystemTime(Date.now() + 31_000);
      expect((await verifyAccessJwt(team, await sign(rotated, USER), fetchKeys)).ok).toBe(true);
      expect((await verifyAccessJwt(team, await sign(old, USER), fetchKeys)).ok).toBe(true);
      expect(served.calls).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("says the keys were unavailable when the certs endpoint fails", async () => {
    const key = await keyPair("k1");
    const failing = async () => new Response("upstream down", { status: 502 });
    expect(await verifyAccessJwt(team, await sign(key, USER), failing)).toMatchObject({ ok: false });
    const throwing = async (): Promise<Response> => {
      throw new TypeError("network");
    };
    expect(await verifyAccessJwt(team, await sign(key, USER), throwing)).toEqual({
      ok: false,
      reason: "keys_unavailable",
    });
  });
});

describe("accessConfigOf", () => {
  it("is off without both vars, and refuses half a configuration naming the missing var", () => {
    expect(accessConfigOf({})).toBeNull();
    expect(() => accessConfigOf({ SDGATE_ACCESS_AUD: AUD })).toThrow("SDGATE_ACCESS_TEAM_DOMAIN");
    expect(() => accessConfigOf({ SDGATE_ACCESS_TEAM_DOMAIN: "acme.cloudflareaccess.com" })).toThrow(
      "SDGATE_ACCESS_AUD",
    );
  });

  it("takes the team domain with or without https, and several AUD tags", () => {
    expect(
      accessConfigOf({
        SDGATE_ACCESS_TEAM_DOMAIN: "https://Acme.cloudflareaccess.com/",
        SDGATE_ACCESS_AUD: `${AUD}, ${"c".repeat(64)}`,
      }),
    ).toEqual({
      issuer: "https://acme.cloudflareaccess.com",
      certsUrl: "https://acme.cloudflareaccess.com/cdn-cgi/access/certs",
      audiences: [AUD, "c".repeat(64)],
    });
    expect(() =>
      accessConfigOf({ SDGATE_ACCESS_TEAM_DOMAIN: "acme/../evil", SDGATE_ACCESS_AUD: AUD }),
    ).toThrow("SDGATE_ACCESS_TEAM_DOMAIN");
    expect(() =>
      accessConfigOf({ SDGATE_ACCESS_TEAM_DOMAIN: "acme.cloudflareaccess.com", SDGATE_ACCESS_AUD: "x" }),
    ).toThrow("SDGATE_ACCESS_AUD");
  });
});
