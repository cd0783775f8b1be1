/** Who a key belongs to: its team (a key is a service identity of its team) and the person who made it. */
export interface KeyOwner {
  team_id: string | null;
  created_by_user_id: string | null;
}

/**
 * Records a key's team and maker (`api_keys.team_id`, `created_by_user_id`), for a key made on a
 * person's behalf. Answers the owner before, or `null` if there is no such key.
 */
export async function recordKeyOwner(
  db: D1Database,
  keyId: string,
  owner: KeyOwner,
): Promise<KeyOwner | null> {
  const [before] = await db.batch<KeyOwner>([
    db.prepare("SELECT team_id, created_by_user_id FROM api_keys WHERE id = ?").bind(keyId),
    db
      .prepare("UPDATE api_keys SET team_id = ?, created_by_user_id = ? WHERE id = ?")
      .bind(owner.team_id, owner.created_by_user_id, keyId),
  ]);
  return before?.results[0] ?? null;
}

/** The keys a person made that still work, oldest first. */
export async function liveKeysCreatedBy(
  db: D1Database,
  userId: string,
): Promise<{ id: string; team_id: string | null }[]> {
  const { results } = await db
    .prepare(
      "SELECT id, team_id FROM api_keys WHERE created_by_user_id = ? AND revoked_at IS NULL ORDER BY created_at, id",
    )
    .bind(userId)
    .all<{ id: string; team_id: string | null }>();
  return results;
}
