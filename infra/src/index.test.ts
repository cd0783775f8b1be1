import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

it("the program's entry runs under Node's type stripping and stops at a missing config, naming the keys", () => {
  // What `pulumi up` does first: Node loads infra/src/index.ts as it is (no build step).
  const result = spawnSync(process.execPath, [fileURLToPath(new URL("./index.ts", import.meta.url))], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "" },
  });
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain("StackConfigError: Invalid stack configuration:");
  expect(result.stderr).toContain("sdgate:clusters: is required");
  expect(result.stderr).toContain("sdgate:hmacKeys: is required");
});
