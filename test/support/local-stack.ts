import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelArchitecture } from "@sdgate/shared";
import { afterAll, beforeAll } from "vitest";
import { freePort } from "../../scripts/stack/free-port.ts";
import { type Stack, startStack } from "../../scripts/stack/start-stack.ts";

/**
 * Starts the whole local stack (edge in workerd, two CPU backends) for one test file, on free ports
 * and in its own state folder so it never meets a developer's `npm start`, and stops it afterwards.
 * Read `current()` inside tests: the stack exists only once `beforeAll` has run.
 */
export function useLocalStack(
  name: string,
  options: {
    /** Your models beside `tiny` (`SDGATE_MODEL_FOLDERS`), made in the stack's state folder. */
    models?: (stateDir: string) => Promise<Record<string, string>>;
    /** The architecture the edge lists some of those models under (the others: SD 1.5's). */
    architectures?: Readonly<Record<string, ModelArchitecture>>;
    /** More vars for the edge, given the URL it will serve at (an identity provider's callback). */
    edgeVars?: (edgeUrl: string) => Promise<Record<string, string>>;
  } = {},
): { current(): Stack } {
  let stack: Stack | undefined;
  let stateDir: string | undefined;
  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), `sdgate-${name}-`));
    const models = (await options.models?.(stateDir)) ?? {};
    const edgePort = await freePort();
    const edgeVars = (await options.edgeVars?.(`http://127.0.0.1:${edgePort}`)) ?? {};
    stack = await startStack({
      stateDir,
      models,
      ...(options.architectures === undefined ? {} : { architectures: options.architectures }),
      edgeVars,
      edgePort,
      backendPorts: [await freePort(), await freePort()],
      inspectorPort: await freePort(),
    });
  });
  afterAll(async () => {
    await stack?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });
  return {
    current() {
      if (!stack) throw new Error("the local stack is not running (used outside a test?)");
      return stack;
    },
  };
}
