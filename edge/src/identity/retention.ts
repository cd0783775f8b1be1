import type { EdgeConfig } from "../env.ts";
import { log } from "../log.ts";
import { pruneSessions } from "./sessions/index.ts";

/**
 * Deletes what sign-in keeps that can no longer be used: sessions revoked or expired, and the nonces
 * of one-time sign-in links past their expiry (a link past it is refused by its expiry alone).
 *
 * @example
 * await pruneSignInState(config); // from the cron trigger
 */
export async function pruneSignInState(config: EdgeConfig, now = new Date()): Promise<void> {
  const sessions = await pruneSessions(config.db, now);
  const links = await config.db
    .prepare("DELETE FROM used_sign_in_links WHERE expires_at <= ?")
    .bind(now.toISOString())
    .run();
  if (sessions > 0 || links.meta.changes > 0) {
    log.info("sign-in retention", { sessions_deleted: sessions, links_deleted: links.meta.changes });
  }
}
