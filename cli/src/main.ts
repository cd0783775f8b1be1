#!/usr/bin/env node
import { run } from "./run.ts";

/** `sdgate`: the command line of the edge (`keys` for the admin API, `generate` for images). See `sdgate --help`. */
process.exitCode = await run(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  fetch: globalThis.fetch,
});
