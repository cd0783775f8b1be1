import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CUDA13_PROVIDER, installCudaProvider, integrityOf, type ProviderPin } from "./cuda-provider.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** An onnxruntime-node install and a provider tarball shaped like the pinned package, in a temp folder. */
function fixture(options: { ortInstalled?: string; ortInProvider?: string } = {}) {
  const root = mkdtempSync(join(tmpdir(), "cuda-provider-test-"));
  roots.push(root);
  const onnxruntimeDir = join(root, "onnxruntime-node");
  const native = join(onnxruntimeDir, "bin", "napi-v6", "linux", "x64");
  mkdirSync(native, { recursive: true });
  writeFileSync(
    join(onnxruntimeDir, "package.json"),
    JSON.stringify({ version: options.ortInstalled ?? "1.29.0" }),
  );
  writeFileSync(join(native, "libonnxruntime.so.1"), "core");
  const packed = join(root, "packed");
  const plugins = join(packed, "package", "Plugins", "Linux", "x64");
  mkdirSync(plugins, { recursive: true });
  writeFileSync(
    join(plugins, "libonnxruntime_providers_cuda.so"),
    `ELF…\0${options.ortInProvider ?? "1.29.0"}\0…cuda`,
  );
  writeFileSync(join(plugins, "libonnxruntime_providers_shared.so"), "shared");
  const tarball = join(root, "provider.tgz");
  execFileSync("tar", ["-czf", tarball, "-C", packed, "package"]);
  const workDir = join(root, "work");
  mkdirSync(workDir);
  const pin: ProviderPin = { ...CUDA13_PROVIDER, integrity: integrityOf(tarball) };
  return { onnxruntimeDir, native, tarball, workDir, pin, fetch: () => tarball };
}

describe("installCudaProvider", () => {
  it("puts the provider's libraries beside libonnxruntime.so", () => {
    const { native, ...options } = fixture();
    const written = installCudaProvider(options);
    expect(written).toEqual([
      join(native, "libonnxruntime_providers_cuda.so"),
      join(native, "libonnxruntime_providers_shared.so"),
    ]);
    expect(readFileSync(join(native, "libonnxruntime_providers_shared.so"), "utf8")).toBe("shared");
  });

  it("refuses a tarball that is not byte for byte the pinned one", () => {
    const { native, pin, ...options } = fixture();
    const tampered = { ...pin, integrity: `sha512-${Buffer.alloc(64).toString("base64")}` };
    expect(() => installCudaProvider({ ...options, pin: tampered })).toThrow(/is not the pinned package/);
  });

  it("refuses when onnxruntime-node is another version than the provider's", () => {
    const { native, ...options } = fixture({ ortInstalled: "1.28.0" });
    expect(() => installCudaProvider(options)).toThrow(
      /onnxruntime-node is 1\.28\.0 .* built for onnxruntime 1\.29\.0/,
    );
  });

  it("refuses a provider that does not name the pinned onnxruntime version", () => {
    const { native, ...options } = fixture({ ortInProvider: "1.28.0" });
    expect(() => installCudaProvider(options)).toThrow(/does not name onnxruntime 1\.29\.0/);
  });

  it("pins the onnxruntime version the backend depends on", () => {
    const backend = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      dependencies: Record<string, string>;
    };
    expect(backend.dependencies["onnxruntime-node"]).toBe(CUDA13_PROVIDER.ort);
  });
});
