#!/usr/bin/env node
import { run } from "./run.ts";

/** `sdgate`: the command line of the edge (`keys` for the admin API, `generate` for images). See `sdgate --help`. */
// The first Ctrl-C lets a command clean up (`generate` cancels its job); `once`, so a second one
// falls back to Node's default and ends the process at once.
const interrupts = new AbortController();
process.once("SIGINT", () => interrupts.abort());
process.exitCode = await run(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  fetch: globalThis.fetch,
  interrupts: interrupts.signal,
});
