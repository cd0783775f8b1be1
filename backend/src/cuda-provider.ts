import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";

/**
 * Where onnxruntime's CUDA execution provider comes from: a pinned npm package that carries the
 * official ONNX Runtime GPU release binaries for CUDA 13 and cuDNN 9. These are the very files the
 * GPU benchmarks ran (../shared/gpu/pack.sh carries them to the device; docs/benchmarks.md, "GPU").
 * onnxruntime-node's own installer offers only a CUDA 12 build, which needs CUDA 12 libraries that a
 * CUDA 13 image does not have.
 */
export interface ProviderPin {
  /** The npm package and version that hold the provider. */
  package: string;
  version: string;
  /** The package tarball's npm integrity (`sha512-<base64>`): anything else is refused. */
  integrity: string;
  /** The onnxruntime version the provider was built for; onnxruntime-node must be the same. */
  ort: string;
  /** The provider's files inside the tarball; the first is the CUDA provider itself. */
  members: readonly string[];
}

export const CUDA13_PROVIDER: ProviderPin = {
  package: "com.github.asus4.onnxruntime.linux-x64-gpu",
  version: "0.4.9",
  integrity:
    "sha512-FopIhNE/Ng+v2X65wVc9clPCBCvhvA53Hxo2U0Kf5fGdVsC7iCA+mZ0KLWggcQAj7TIZ6pNidR4AC10g74Xo6w==",
  ort: "1.29.0",
  members: [
    "package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so",
    "package/Plugins/Linux/x64/libonnxruntime_providers_shared.so",
  ],
};

/** Downloads a pinned package's tarball into `dir` with `npm pack`; returns its path. */
export function npmPack(pin: ProviderPin, dir: string): string {
  const output = execFileSync(
    "npm",
    ["pack", `${pin.package}@${pin.version}`, "--pack-destination", dir, "--silent"],
    {
      encoding: "utf8",
    },
  );
  const name = output.trim().split("\n").at(-1) ?? "";
  return join(dir, basename(name));
}

/** A file's npm-style integrity string. */
export function integrityOf(path: string): string {
  return `sha512-${createHash("sha512").update(readFileSync(path)).digest("base64")}`;
}

/** The folder of onnxruntime-node's `libonnxruntime.so` (Linux x64), where providers must sit. */
export function nativeDir(onnxruntimeDir: string): string {
  const bin = join(onnxruntimeDir, "bin");
  for (const napi of existsSync(bin) ? readdirSync(bin) : []) {
    const dir = join(bin, napi, "linux", "x64");
    if (existsSync(dir) && readdirSync(dir).some((name) => name.startsWith("libonnxruntime.so"))) return dir;
  }
  throw new Error(
    `no bin/*/linux/x64/libonnxruntime.so under ${onnxruntimeDir}: is onnxruntime-node installed?`,
  );
}

/**
 * Puts the pinned CUDA provider beside onnxruntime-node's `libonnxruntime.so`, after checking that
 * onnxruntime-node is the version the provider was built for, that the tarball is byte for byte the
 * pinned one, and that the provider names that onnxruntime version. Returns the files written.
 *
 * @example
 * installCudaProvider({ onnxruntimeDir: "node_modules/onnxruntime-node", workDir: tmp, fetch: npmPack });
 */
export function installCudaProvider(options: {
  onnxruntimeDir: string;
  workDir: string;
  fetch: (pin: ProviderPin, dir: string) => string;
  pin?: ProviderPin;
}): string[] {
  const pin = options.pin ?? CUDA13_PROVIDER;
  const { version } = JSON.parse(readFileSync(join(options.onnxruntimeDir, "package.json"), "utf8")) as {
    version: string;
  };
  if (version !== pin.ort) {
    throw new Error(
      `onnxruntime-node is ${version} but the CUDA provider (${pin.package}@${pin.version}) is built for onnxruntime ${pin.ort}: move both pins together.`,
    );
  }
  const target = nativeDir(options.onnxruntimeDir);
  const tarball = options.fetch(pin, options.workDir);
  const integrity = integrityOf(tarball);
  if (integrity !== pin.integrity) {
    throw new Error(
      `${basename(tarball)} is not the pinned package (integrity ${integrity}, pinned ${pin.integrity}).`,
    );
  }
  execFileSync("tar", ["-xzf", tarball, "--no-same-owner", "-C", options.workDir, ...pin.members]);
  const [provider] = pin.members;
  if (provider === undefined) throw new Error("the pin names no provider file");
  // Its build's version string stands alone between NULs, as `strings | grep -x` would find it.
  if (!readFileSync(join(options.workDir, provider)).includes(`\0${pin.ort}\0`)) {
    throw new Error(
      `${basename(provider)} in ${pin.package}@${pin.version} does not name onnxruntime ${pin.ort}.`,
    );
  }
  return pin.members.map((member) => {
    const destination = join(target, basename(member));
    copyFileSync(join(options.workDir, member), destination);
    return destination;
  });
}
