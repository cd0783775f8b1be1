import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const SDK_DIR = resolve(fileURLToPath(new URL("..", import.meta.url)));
const REPO_DIR = resolve(SDK_DIR, "..");

/**
 * What npm publishes as `@sdgate/sdk`, made from the sources: one ES module (`index.js`, the contract
 * from `@sdgate/shared` bundled in, since that package is the repository's own and not published;
 * zod stays a dependency), declarations for it and the contract types it names, the README and a
 * package.json whose `exports` point at them. Runs anywhere ES2022 and fetch do: esbuild's neutral
 * platform refuses any Node built-in.
 *
 * @example
 * await buildSdkPackage("/tmp/sdk-package"); // then: cd /tmp/sdk-package && npm publish
 */
export async function buildSdkPackage(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(SDK_DIR, "package.json"), "utf8")) as {
    name: string;
    version: string;
    description: string;
    dependencies: Record<string, string>;
  };
  await build({
    entryPoints: [join(SDK_DIR, "src/index.ts")],
    outfile: join(outDir, "index.js"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["zod"],
    sourcemap: true,
    logLevel: "warning",
  });
  emitDeclarations(join(outDir, "types"));
  cpSync(join(SDK_DIR, "README.md"), join(outDir, "README.md"));
  const published = {
    name: manifest.name,
    version: manifest.version,
    description: manifest.description,
    type: "module",
    exports: { ".": { types: "./types/sdk/src/index.d.ts", default: "./index.js" } },
    types: "./types/sdk/src/index.d.ts",
    sideEffects: false,
    engines: { node: ">=22" },
    // The contract is bundled; only zod, which its schemas are made with, is installed beside it.
    dependencies: { zod: manifest.dependencies.zod },
  };
  writeFileSync(join(outDir, "package.json"), `${JSON.stringify(published, null, 2)}\n`);
}

/**
 * The SDK and everything it imports (zod included) as one ES module's text, as a bundler would ship
 * it to a browser or a Deno program: what the runtime tests load.
 *
 * @example
 * const source = await standaloneBundle(); // serve it as /sdk.js
 */
export async function standaloneBundle(): Promise<string> {
  const result = await build({
    entryPoints: [join(SDK_DIR, "src/index.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    target: "es2022",
    logLevel: "warning",
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("standaloneBundle: esbuild wrote nothing");
  return output.text;
}

/**
 * The SDK's declarations and the contract's they import, with their specifiers made what a published
 * package can resolve: `./x.ts` becomes `./x.js`, and `@sdgate/shared` the bundled contract's path.
 */
function emitDeclarations(typesDir: string): void {
  const config = join(typesDir, "..", "tsconfig.declarations.json");
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(REPO_DIR, "tsconfig.base.json"),
      compilerOptions: {
        composite: false,
        incremental: false,
        rootDir: REPO_DIR,
        outDir: typesDir,
        lib: ["ES2023", "DOM", "DOM.Iterable"],
        types: [],
        paths: { "@sdgate/shared": [join(REPO_DIR, "shared/src/index.ts")] },
      },
      files: [join(SDK_DIR, "src/index.ts")],
    }),
  );
  execFileSync(join(REPO_DIR, "node_modules/.bin/tsc"), ["-p", config], { stdio: "inherit" });
  rmSync(config);
  const sharedIndex = join(typesDir, "shared/src/index.js");
  for (const file of declarationFiles(typesDir)) {
    const text = readFileSync(file, "utf8")
      .replace(/(from\s+|import\()"(\.{1,2}\/[^"]+)\.ts"/g, '$1"$2.js"')
      .replace(/(from\s+|import\()"@sdgate\/shared"/g, (_, lead: string) => {
        const path = relative(dirname(file), sharedIndex);
        return `${lead}"${path.startsWith(".") ? path : `./${path}`}"`;
      });
    writeFileSync(file, text);
  }
}

function declarationFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return declarationFiles(path);
    return path.endsWith(".d.ts") ? [path] : [];
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = resolve(process.argv[2] ?? join(SDK_DIR, "dist/package"));
  await buildSdkPackage(outDir);
  console.log(`@sdgate/sdk built in ${outDir}`);
}
