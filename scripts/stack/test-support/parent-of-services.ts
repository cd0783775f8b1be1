import { join } from "node:path";
import { startService } from "../service.ts";
import { IGNORE_SIGTERM, KEEP_ALIVE, startsGrandchild } from "./service-code.ts";

/**
 * `node parent-of-services.ts <dir>`: stands in for `npm start` in service.test.ts. Starts two services
 * in `dir`, each with a grandchild, prints the services' pids as one JSON line, then waits to be killed.
 * Between them they hold both ways a process could linger: a service that ignores SIGTERM, and one that
 * quits on SIGTERM but leaves behind a grandchild that ignores it (as wrangler could leave workerd).
 */
const [dir = "."] = process.argv.slice(2);
const services = [
  { name: "stubborn", code: `${IGNORE_SIGTERM} ${startsGrandchild("stubborn", KEEP_ALIVE)} ${KEEP_ALIVE}` },
  {
    name: "leaves-a-stubborn-grandchild",
    code: `${startsGrandchild("leaves-a-stubborn-grandchild", `${IGNORE_SIGTERM} ${KEEP_ALIVE}`)} ${KEEP_ALIVE}`,
  },
].map(({ name, code }) =>
  startService({
    name,
    command: process.execPath,
    args: ["-e", code],
    env: {},
    logPath: join(dir, `${name}.log`),
    cwd: dir,
    orphanGraceMs: 500,
  }),
);
console.log(JSON.stringify(services.map((service) => service.child.pid)));
setInterval(() => {}, 60_000);
