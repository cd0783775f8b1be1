import { type GenerationResponse, generationResponseSchema } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import type { Stack } from "../../scripts/stack/start-stack.ts";

const CLIENTS = 10;
const KILL_AFTER_MS = 700;

async function generate(
  localStack: { current(): Stack },
  seed: number,
): Promise<{ status: number; body: GenerationResponse | null; backend: string | null }> {
  const response = await fetch(`${localStack.current().url}/v1/images/generations`, {
    method: "POST",
    headers: { authorization: `Bearer ${localStack.current().apiKey}`, "content-type": "application/json" },
    // A unique prompt per run: no replay-cache hit or coalescing can hide a lost job.
    body: JSON.stringify({ prompt: `chaos ${process.pid} ${seed}`, size: "256x256", steps: 40, seed }),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  const parsed = response.ok ? generationResponseSchema.safeParse(JSON.parse(text)) : null;
  if (!response.ok) console.error(response.status, response.headers.get("x-attempts"), text);
  return {
    status: response.status,
    body: parsed?.success ? parsed.data : null,
    backend: response.headers.get("x-backend"),
  };
}

/**
 * A backend killed under load, on a stack another test file started (one stack start, about 25 s,
 * is shared with that file's tests): call it inside that file, last, as it leaves one backend dead.
 *
 * @example
 * backendKilledUnderLoad(localStack);
 */
export function backendKilledUnderLoad(localStack: { current(): Stack }): void {
  describe("a backend killed under load", () => {
    it("costs no client a failed request, and loses or duplicates no job", async () => {
      const [backendA] = localStack.current().services;
      if (!backendA?.child.pid) throw new Error("backend local-a is not running");
      const seeds = Array.from({ length: CLIENTS }, (_, i) => 1000 + i);
      let finished = 0;
      const requests = seeds.map((seed) => generate(localStack, seed).finally(() => finished++));
      await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS));
      process.kill(-backendA.child.pid, "SIGKILL");
      // The kill must land mid-load, or the test proves nothing.
      expect(finished).toBeLessThan(CLIENTS / 2);
      const results = await Promise.all(requests);

      expect(results.map((r) => r.status)).toEqual(seeds.map(() => 200));
      // Every request got exactly its own image back: one image, with the seed it asked for.
      expect(results.map((r) => r.body?.data.map((image) => image.seed))).toEqual(
        seeds.map((seed) => [seed]),
      );
      // After the kill, the survivor served the traffic.
      expect(results.some((r) => r.backend === "local-b")).toBe(true);

      const after = await generate(localStack, 5000);
      expect([after.status, after.backend]).toEqual([200, "local-b"]);
    });
  });
}
