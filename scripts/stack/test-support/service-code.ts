/** Code (for `node -e`) that keeps a process running until it is killed. */
export const KEEP_ALIVE = "setInterval(() => {}, 60_000);";

/** Code that makes a process ignore SIGTERM, so only SIGKILL stops it. */
export const IGNORE_SIGTERM = "process.on('SIGTERM', () => {});";

/**
 * Code for a service that starts a grandchild running `grandchildCode` and, once it has, writes
 * `<name>.ready` in its working directory: the test's sign that the whole tree is up.
 */
export function startsGrandchild(name: string, grandchildCode: string): string {
  return (
    `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchildCode)}], { stdio: 'ignore' })` +
    `.once('spawn', () => require('node:fs').writeFileSync(${JSON.stringify(`${name}.ready`)}, ''));`
  );
}
