import { describe, expect, it } from "vitest";
import { checkLocalSignInToken, LOCAL_SIGN_IN_TTL_MS, mintLocalSignInToken } from "./sign-in-link.ts";

const SECRET = "s".repeat(32);

describe("local sign-in tokens", () => {
  it("verify under their secret until they expire, each with its own nonce", async () => {
    const now = Date.now();
    const token = await mintLocalSignInToken(SECRET, now);
    const checked = await checkLocalSignInToken(SECRET, token, now + 1000);
    expect(checked).toMatchObject({ ok: true, expiresAtMs: now + LOCAL_SIGN_IN_TTL_MS });
    const other = await checkLocalSignInToken(SECRET, await mintLocalSignInToken(SECRET, now), now);
    expect(other.ok && checked.ok && other.nonce !== checked.nonce).toBe(true);
    expect(await checkLocalSignInToken(SECRET, token, now + LOCAL_SIGN_IN_TTL_MS)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("refuse another secret's token, a changed expiry and junk", async () => {
    const token = await mintLocalSignInToken(SECRET);
    expect(await checkLocalSignInToken("t".repeat(32), token)).toEqual({ ok: false, reason: "forged" });
    const [v, expires, nonce, mac] = token.split(".") as [string, string, string, string];
    const later = `${v}.${Number(expires) + 86_400_000}.${nonce}.${mac}`;
    expect(await checkLocalSignInToken(SECRET, later)).toEqual({ ok: false, reason: "forged" });
    expect(await checkLocalSignInToken(SECRET, "v1.x")).toEqual({ ok: false, reason: "malformed" });
  });
});
