import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import {
  PENDING_LOGIN_TTL_MS,
  type PendingLogin,
  safeReturnTo,
  sealPending,
  unsealPending,
} from "./pending.ts";

const secret = "pending-secret-0123456789abcdef-0123";
const createdAtMs = Date.UTC(2026, 11, 1, 12, 0, 0);
const pending: PendingLogin = {
  issuer: "https://login.acme.com",
  state: "state-value",
  nonce: "nonce-value",
  codeVerifier: "verifier-value-that-only-the-server-may-read",
  redirectUri: "https://sdgate.acme.com/auth/oidc/callback",
  returnTo: "/studio/runs?id=7#top",
  createdAtMs,
};

describe("pending sign-ins: happy", () => {
  it("opens what it sealed, within ten minutes", async () => {
    const sealed = await sealPending(pending, secret);
    expect(sealed).toMatch(/^v1\.[\w-]+$/);
    expect(await unsealPending(sealed, secret, createdAtMs + PENDING_LOGIN_TTL_MS)).toEqual({
      ok: true,
      pending,
    });
  });

  it("keeps the verifier, state and nonce unreadable to the browser", async () => {
    const sealed = await sealPending(pending, secret);
    const bytes = new TextDecoder().decode(base64url.decode(sealed.slice(3)));
    expect(bytes).not.toContain("verifier-value");
    expect(bytes).not.toContain("state-value");
    // Random IVs: the same sign-in never seals to the same text twice.
    expect(await sealPending(pending, secret)).not.toBe(sealed);
  });

  it.each([
    ["/", "/"],
    ["/studio/", "/studio/"],
    ["/studio/runs?id=7#top", "/studio/runs?id=7#top"],
    ["/a/../b", "/b"],
  ])("lets a person return to %s", (value, path) => {
    expect(safeReturnTo(value)).toBe(path);
  });
});

describe("pending sign-ins: security", () => {
  it("refuses a pending sign-in older than ten minutes", async () => {
    const sealed = await sealPending(pending, secret);
    expect(await unsealPending(sealed, secret, createdAtMs + PENDING_LOGIN_TTL_MS + 1)).toEqual({
      ok: false,
      reason: "pending_expired",
    });
  });

  it("refuses one altered by a single bit, sealed under another secret, or made up", async () => {
    const sealed = await sealPending(pending, secret);
    const bytes = base64url.decode(sealed.slice(3));
    for (const at of [0, 12, bytes.length - 1]) {
      const altered = bytes.slice();
      altered[at] = (altered[at] ?? 0) ^ 1;
      expect(await unsealPending(`v1.${base64url.encode(altered)}`, secret, createdAtMs)).toEqual({
        ok: false,
        reason: "pending_invalid",
      });
    }
    const otherSecret = "another-secret-0123456789abcdef-0123";
    for (const forged of [
      await sealPending(pending, otherSecret),
      `v1.${base64url.encode(JSON.stringify(pending))}`,
      "v2.AAAA",
      "",
      `${sealed}.extra`,
    ]) {
      expect(await unsealPending(forged, secret, createdAtMs)).toEqual({
        ok: false,
        reason: "pending_invalid",
      });
    }
  });

  it("refuses one whose return path leads off the site, even sealed with the right secret", async () => {
    const sealed = await sealPending({ ...pending, returnTo: "//evil.example/" }, secret);
    expect(await unsealPending(sealed, secret, createdAtMs)).toEqual({
      ok: false,
      reason: "pending_invalid",
    });
  });

  it.each([
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "studio/",
    "",
    `/${"a".repeat(2_048)}`,
  ])("refuses to return a person to %j", (value) => {
    expect(safeReturnTo(value)).toBeNull();
  });

  it("refuses a secret too short to key AES", async () => {
    await expect(sealPending(pending, "short")).rejects.toThrow(/at least 32 characters/);
  });
});
