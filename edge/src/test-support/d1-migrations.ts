import { applyD1Migrations, type D1Migration } from "cloudflare:test";
import { env } from "cloudflare:workers";

// The test worker's D1 starts empty: apply edge/migrations/*.sql (read on the Node side by
// edge/vitest.config.ts) before each test file. Already-applied migrations are skipped.
declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
