import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type BackendAdapter, type ResolvedLora, SdgateError } from "@sdgate/shared";
import type { RequestLora } from "./engine/index.ts";
import { fileSha256 } from "./model-digest.ts";

const LORA_FILE = /^(.+)\.safetensors$/;

/** One LoRA file this backend holds. */
export interface HeldLora {
  /** The file's stem: `loras/ink.safetensors` is `ink`. */
  name: string;
  /** SHA-256 of the file, hex: what the edge's registry resolves a name to. */
  digest: string;
  path: string;
}

/**
 * The LoRAs in the operator's folder (`SDGATE_LORA_DIR`), each `NAME.safetensors` digested once at
 * start: reported in the signed status so the edge routes requests naming them here, and checked
 * against each request's digests, so a file the registry did not approve never runs.
 *
 * @example
 * const catalog = await LoraCatalog.scan("/models/loras");
 * catalog.resolve(request.lora); // RequestLora[] with paths, or adapter_unavailable
 */
export class LoraCatalog {
  readonly #byDigest: ReadonlyMap<string, HeldLora>;

  constructor(held: readonly HeldLora[]) {
    this.#byDigest = new Map(held.map((lora) => [lora.digest, lora]));
  }

  /** The `*.safetensors` files directly in `dir`; none when it does not exist. */
  static async scan(dir: string): Promise<LoraCatalog> {
    let names: string[];
    try {
      names = (await readdir(dir, { withFileTypes: true }))
        .filter((entry) => entry.isFile() && LORA_FILE.test(entry.name))
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return new LoraCatalog([]);
      throw error;
    }
    const held: HeldLora[] = [];
    for (const file of names) {
      const path = join(dir, file);
      held.push({ name: LORA_FILE.exec(file)?.[1] as string, digest: await fileSha256(path), path });
    }
    return new LoraCatalog(held);
  }

  get held(): HeldLora[] {
    return [...this.#byDigest.values()];
  }

  /** What the signed status lists: `{ kind: "lora", name, digest }` per file. */
  adapters(): BackendAdapter[] {
    return this.held.map(({ name, digest }) => ({ kind: "lora", name, digest }));
  }

  /**
   * A request's LoRAs with the files that apply them; `adapter_unavailable` (503, so the edge tries a
   * backend that holds it) naming the first LoRA whose digest no file here has.
   */
  resolve(loras: readonly ResolvedLora[] | undefined): RequestLora[] {
    return (loras ?? []).map((lora, i) => {
      const held = this.#byDigest.get(lora.digest);
      if (held === undefined)
        throw new SdgateError(
          "adapter_unavailable",
          `This backend does not hold LoRA '${lora.name}' (sha256 ${lora.digest.slice(0, 12)}…).`,
          { param: `lora.${i}.name` },
        );
      return { name: lora.name, digest: lora.digest, weight: lora.weight, path: held.path };
    });
  }
}
