import { execFileSync } from "node:child_process";
import { join } from "node:path";

const REPO_ROOT = new URL("../../../", import.meta.url).pathname;

/** For tests: runs one of infra's commands the way `npm run` does, with the project's Node. */
export function runCli(script: string, args: string[]): { status: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [join(REPO_ROOT, "infra/src/cli", script), ...args], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { status: 0, stdout, stderr: "" };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { status: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}
