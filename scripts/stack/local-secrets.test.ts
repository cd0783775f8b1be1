import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveLocalSecrets } from "./local-secrets.ts";

describe("the local stack's secrets", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "sdgate-secrets-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("are the same on every start with the same state folder, so state signed before a restart still verifies", () => {
    const stateDir = join(root, "state");
    const first = resolveLocalSecrets(stateDir);
    const second = resolveLocalSecrets(stateDir);
    expect(second).toEqual(first);
    expect(readdirSync(stateDir)).toEqual(["secrets.json"]);
    expect(first.hmacKeys).toMatch(/^local:[0-9a-f]{64}$/);
    for (const secret of [first.urlSigningKey, first.webhookSecret, first.adminToken])
      expect(secret).toMatch(/^[0-9a-f]{64}$/);
  });

  it("are new for a new state folder", () => {
    const a = resolveLocalSecrets(join(root, "a"));
    const b = resolveLocalSecrets(join(root, "b"));
    expect(b.hmacKeys).not.toBe(a.hmacKeys);
    expect(b.urlSigningKey).not.toBe(a.urlSigningKey);
    expect(b.webhookSecret).not.toBe(a.webhookSecret);
    expect(b.adminToken).not.toBe(a.adminToken);
  });

  it("are kept in a file only its owner can read, and one widened since is narrowed again", () => {
    const stateDir = join(root, "state");
    resolveLocalSecrets(stateDir);
    const path = join(stateDir, "secrets.json");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    chmodSync(path, 0o644);
    resolveLocalSecrets(stateDir);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("take an admin token given (SDGATE_ADMIN_TOKEN) over the kept one, without replacing the kept one", () => {
    const stateDir = join(root, "state");
    const kept = resolveLocalSecrets(stateDir);
    const given = "a-token-from-the-environment-0123456789";
    const withToken = resolveLocalSecrets(stateDir, { adminToken: given });
    expect(withToken).toEqual({ ...kept, adminToken: given });
    expect(resolveLocalSecrets(stateDir).adminToken).toBe(kept.adminToken);
  });

  it("refuse an admin token shorter than the edge accepts, or one that would break edge.env, by name", () => {
    expect(() => resolveLocalSecrets(join(root, "state"), { adminToken: "short" })).toThrow(
      /SDGATE_ADMIN_TOKEN must be at least 32 characters \(it has 5\)/,
    );
    const injecting = "0123456789abcdef0123456789abcdef\nSDGATE_WEBHOOK_ALLOW_LOOPBACK=true";
    expect(() => resolveLocalSecrets(join(root, "state"), { adminToken: injecting })).toThrow(
      "SDGATE_ADMIN_TOKEN must not contain whitespace",
    );
  });

  it("refuse a file that does not hold them, naming it", () => {
    const stateDir = join(root, "state");
    resolveLocalSecrets(stateDir);
    const path = join(stateDir, "secrets.json");
    writeFileSync(path, JSON.stringify({ version: 1, hmacKeys: "local:x" }));
    expect(() => resolveLocalSecrets(stateDir)).toThrow(`${path} does not hold sdgate's local secrets`);
    writeFileSync(path, "{");
    expect(() => resolveLocalSecrets(stateDir)).toThrow(`${path} is not JSON`);
    expect(readFileSync(path, "utf8")).toBe("{");
  });
});
