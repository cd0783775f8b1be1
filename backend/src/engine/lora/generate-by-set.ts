import { isInvalidArgumentError } from "../errors.ts";
import { generateBatch } from "../pipelines/generate-batch.ts";
import type { BatchEntry, BatchOptions, BatchOutcome, Seed } from "../types.ts";
import type { LoraComponents } from "./lora-components.ts";
import { loraSetKey } from "./lora-set.ts";

/**
 * `Pipeline.generateBatch` with LoRAs: entries are grouped by LoRA set (batch keys keep sets apart,
 * so a batch usually has one) and each group runs on its set's components, so different sets never
 * share a UNet call. A set that does not fit the model fails its own entries only.
 */
export async function generateBatchBySet<S extends Seed>(
  loras: LoraComponents,
  entries: readonly BatchEntry<S>[],
  options: BatchOptions,
): Promise<BatchOutcome<S>[]> {
  const groups = new Map<string, number[]>();
  for (const [index, entry] of entries.entries()) {
    const key = loraSetKey(entry.request.lora);
    groups.set(key, [...(groups.get(key) ?? []), index]);
  }
  const outcomes: BatchOutcome<S>[] = [];
  for (const indices of groups.values()) {
    const group = indices.map((i) => entries[i] as BatchEntry<S>);
    let results: BatchOutcome<S>[];
    try {
      results = await generateBatch(loras.for(group[0]?.request.lora), group, options);
    } catch (error) {
      if (!isInvalidArgumentError(error)) throw error;
      results = group.map(() => ({ ok: false, error }));
    }
    for (const [j, index] of indices.entries()) outcomes[index] = results[j] as BatchOutcome<S>;
  }
  return outcomes;
}
