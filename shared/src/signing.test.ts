import { describe, expect, it } from "vitest";
import { sha256Hex, toHex } from "./encoding.ts";
import { Keyring, MemoryNonceStore, parseKeyringSpec, SIGNATURE_HEADERS } from "./signing.ts";

const SECRET_A = "a".repeat(32);
const SECRET_B = "b".repeat(32);
const request = {
  method: "POST",
  path: "/internal/v1/generate",
  body: '{"prompt":"a cat"}',
  audience: "gpu-a",
};
const NOW_MS = 1_800_000_000_000;
const AS_A = { audience: "gpu-a", nowMs: NOW_MS };

function asHeaders(record: Record<string, string>): Headers {
  return new Headers(record);
}

describe("request signing", () => {
  it("accepts a request signed with the shared secret", async () => {
    const keyring = new Keyring([{ id: "k1", secret: SECRET_A }]);
    const headers = await keyring.sign(request, { nowMs: NOW_MS });
    const verdict = await keyring.verify(request, asHeaders(headers), new MemoryNonceStore(), AS_A);
    expect(verdict).toEqual({ ok: true, value: { keyId: "k1" } });
  });

  it("rejects a tampered body, method or path", async () => {
    const keyring = new Keyring([{ id: "k1", secret: SECRET_A }]);
    const headers = asHeaders(await keyring.sign(request, { nowMs: NOW_MS }));
    for (const tampered of [
      { ...request, body: '{"prompt":"a dog"}' },
      { ...request, method: "PUT" },
      { ...request, path: "/internal/v1/generate?x=1" },
    ]) {
      const verdict = await keyring.verify(tampered, headers, new MemoryNonceStore(), AS_A);
      expect(verdict).toEqual({ ok: false, error: "bad_signature" });
    }
  });

  it("covers the context headers: a changed, added or stripped one is rejected", async () => {
    const keyring = new Keyring([{ id: "k1", secret: SECRET_A }]);
    const context = {
      "x-sdgate-tenant": "key_a",
      "x-sdgate-deadline": "1800000100000",
      "x-request-id": "req_1",
    };
    const signed = await keyring.sign({ ...request, headers: context }, { nowMs: NOW_MS });
    const verify = (headers: Record<string, string>) =>
      keyring.verify(request, asHeaders(headers), new MemoryNonceStore(), AS_A);
    expect((await verify({ ...signed, ...context })).ok).toBe(true);
    expect(await verify({ ...signed, ...context, "x-sdgate-tenant": "key_b" })).toEqual({
      ok: false,
      error: "bad_signature",
    });
    expect(await verify({ ...signed, "x-sdgate-tenant": "key_a" })).toEqual({
      ok: false,
      error: "bad_signature",
    });
    expect(await verify({ ...signed, ...context, "x-sdgate-job-id": "j1" })).toEqual({
      ok: false,
      error: "bad_signature",
    });
    expect(await verify({ ...signed, ...context, "x-request-id": "req_2" })).toEqual({
      ok: false,
      error: "bad_signature",
    });
  });

  it("binds a signature to its backend: another backend refuses it, whatever the audience header says", async () => {
    const keyring = new Keyring([{ id: "k1", secret: SECRET_A }]);
    const headers = await keyring.sign(request, { nowMs: NOW_MS });
    expect(headers[SIGNATURE_HEADERS.audience]).toBe("gpu-a");
    const asB = { audience: "gpu-b", nowMs: NOW_MS };
    expect(await keyring.verify(request, asHeaders(headers), new MemoryNonceStore(), asB)).toEqual({
      ok: false,
      error: "wrong_audience",
    });
    // Relabelled for B, the MAC (made over "gpu-a") no longer matches B's own name.
    const relabelled = asHeaders({ ...headers, [SIGNATURE_HEADERS.audience]: "gpu-b" });
    expect(await keyring.verify(request, relabelled, new MemoryNonceStore(), asB)).toEqual({
      ok: false,
      error: "bad_signature",
    });
    const { [SIGNATURE_HEADERS.audience]: _, ...unlabelled } = headers;
    expect(await keyring.verify(request, asHeaders(unlabelled), new MemoryNonceStore(), AS_A)).toEqual({
      ok: false,
      error: "missing_headers",
    });
    await expect(keyring.sign({ ...request, audience: "a\nb" })).rejects.toThrow(/audience/);
  });

  it("checks headers, key, timestamp and audience without the body", async () => {
    const keyring = new Keyring([{ id: "k1", secret: SECRET_A }]);
    const headers = await keyring.sign(request, { nowMs: NOW_MS });
    const claim = keyring.checkHeaders(asHeaders(headers), AS_A);
    expect(claim.ok).toBe(true);
    if (!claim.ok) return;
    expect(await keyring.verifyBody(request, claim.value, new MemoryNonceStore())).toEqual({
      ok: true,
      value: { keyId: "k1" },
    });
    expect(keyring.checkHeaders(asHeaders(headers), { ...AS_A, nowMs: NOW_MS + 400_000 })).toEqual({
      ok: false,
      error: "stale_timestamp",
    });
    const malformed = asHeaders({ ...headers, [SIGNATURE_HEADERS.signature]: "v3=zz" });
    expect(keyring.checkHeaders(malformed, AS_A)).toEqual({ ok: false, error: "malformed_signature" });
  });

  it("takes v2 signatures, which name no backend, only when told to", async () => {
    const keyring = new Keyring([{ id: "k1", secret: SECRET_A }]);
    const timestamp = String(NOW_MS / 1000);
    const nonce = "0123456789abcdef";
    const bodyHash = await sha256Hex(request.body);
    const message = ["v2", "POST", request.path, timestamp, nonce, bodyHash].join("\n");
    const context = ["x-sdgate-deadline:", "x-sdgate-job-id:", "x-sdgate-preview-every:", "x-sdgate-tenant:"];
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(SECRET_A),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = await crypto.subtle.sign(
      "HMAC",
      key,
      new TextEncoder().encode([message, ...context].join("\n")),
    );
    const v2 = asHeaders({
      [SIGNATURE_HEADERS.keyId]: "k1",
      [SIGNATURE_HEADERS.timestamp]: timestamp,
      [SIGNATURE_HEADERS.nonce]: nonce,
      [SIGNATURE_HEADERS.signature]: `v2=${toHex(mac)}`,
    });
    expect(await keyring.verify(request, v2, new MemoryNonceStore(), AS_A)).toEqual({
      ok: false,
      error: "malformed_signature",
    });
    expect(await keyring.verify(request, v2, new MemoryNonceStore(), { ...AS_A, acceptV2: true })).toEqual({
      ok: true,
      value: { keyId: "k1" },
    });
  });

  it("rejects a replayed nonce, even within the window", async () => {
    const keyring = new Keyring([{ id: "k1", secret: SECRET_A }]);
    const nonces = new MemoryNonceStore();
    const headers = asHeaders(await keyring.sign(request, { nowMs: NOW_MS }));
    expect((await keyring.verify(request, headers, nonces, AS_A)).ok).toBe(true);
    expect(await keyring.verify(request, headers, nonces, { ...AS_A, nowMs: NOW_MS + 1000 })).toEqual({
      ok: false,
      error: "replayed_nonce",
    });
  });

  it("rejects timestamps more than 300 s away, either way", async () => {
    const keyring = new Keyring([{ id: "k1", secret: SECRET_A }]);
    const headers = asHeaders(await keyring.sign(request, { nowMs: NOW_MS }));
    for (const skewMs of [301_000, -301_000]) {
      const verdict = await keyring.verify(request, headers, new MemoryNonceStore(), {
        ...AS_A,
        nowMs: NOW_MS + skewMs,
      });
      expect(verdict).toEqual({ ok: false, error: "stale_timestamp" });
    }
    const edge = await keyring.verify(request, headers, new MemoryNonceStore(), {
      ...AS_A,
      nowMs: NOW_MS + 299_000,
    });
    expect(edge.ok).toBe(true);
  });

  it("rejects a signature made with another secret, and unsigned requests", async () => {
    const signer = new Keyring([{ id: "k1", secret: SECRET_B }]);
    const verifier = new Keyring([{ id: "k1", secret: SECRET_A }]);
    const headers = asHeaders(await signer.sign(request, { nowMs: NOW_MS }));
    expect(await verifier.verify(request, headers, new MemoryNonceStore(), AS_A)).toEqual({
      ok: false,
      error: "bad_signature",
    });
    expect(await verifier.verify(request, new Headers(), new MemoryNonceStore(), AS_A)).toEqual({
      ok: false,
      error: "missing_headers",
    });
  });

  it("verifies with any key of the ring, so secrets rotate without downtime", async () => {
    const oldEdge = new Keyring([{ id: "old", secret: SECRET_A }]);
    const backend = new Keyring([
      { id: "new", secret: SECRET_B },
      { id: "old", secret: SECRET_A },
    ]);
    const headers = asHeaders(await oldEdge.sign(request, { nowMs: NOW_MS }));
    expect(await backend.verify(request, headers, new MemoryNonceStore(), AS_A)).toEqual({
      ok: true,
      value: { keyId: "old" },
    });
    const unknown = new Headers(headers);
    unknown.set(SIGNATURE_HEADERS.keyId, "gone");
    expect((await backend.verify(request, unknown, new MemoryNonceStore(), AS_A)).ok).toBe(false);
  });

  it("does not remember nonces of forged requests", async () => {
    const keyring = new Keyring([{ id: "k1", secret: SECRET_A }]);
    const nonces = new MemoryNonceStore();
    const headers = await keyring.sign(request, { nowMs: NOW_MS });
    const forged = asHeaders({ ...headers, [SIGNATURE_HEADERS.signature]: `v3=${"0".repeat(64)}` });
    expect(await keyring.verify(request, forged, nonces, AS_A)).toEqual({
      ok: false,
      error: "bad_signature",
    });
    expect(nonces.size).toBe(0);
    expect((await keyring.verify(request, asHeaders(headers), nonces, AS_A)).ok).toBe(true);
  });
});

describe("keyring spec", () => {
  it("parses id:secret pairs in order", () => {
    expect(parseKeyringSpec(`k2:${SECRET_B},k1:${SECRET_A}`)).toEqual({
      ok: true,
      value: [
        { id: "k2", secret: SECRET_B },
        { id: "k1", secret: SECRET_A },
      ],
    });
  });

  it("refuses short secrets, missing ids and duplicates", () => {
    expect(parseKeyringSpec("k1:short").ok).toBe(false);
    expect(parseKeyringSpec(SECRET_A).ok).toBe(false);
    expect(parseKeyringSpec(`k1:${SECRET_A},k1:${SECRET_B}`).ok).toBe(false);
  });
});
