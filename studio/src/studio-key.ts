/** A key the Studio made for a person in one team, kept in this browser's localStorage. */
export interface StudioKey {
  id: string;
  key: string;
  name: string;
  teamId: string | null;
}

const PREFIX = "sdgate.studio.key.";
const slot = (teamId: string | null) => `${PREFIX}${teamId ?? "-"}`;

function isStudioKey(value: unknown): value is StudioKey {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.id === "string" &&
    typeof record.key === "string" &&
    typeof record.name === "string" &&
    (record.teamId === null || typeof record.teamId === "string")
  );
}

/**
 * The Studio key kept for a team (`null`: the deployment, for an admin without a team), if any.
 *
 * @example
 * const kept = storedKey("team_…")?.key;
 */
export function storedKey(teamId: string | null, storage: Storage = localStorage): StudioKey | null {
  const text = storage.getItem(slot(teamId));
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isStudioKey(value) ? value : null;
  } catch {
    return null;
  }
}

/** Keeps a team's Studio key. */
export function storeKey(key: StudioKey, storage: Storage = localStorage): void {
  storage.setItem(slot(key.teamId), JSON.stringify(key));
}

/** Forgets a team's Studio key in this browser (the key itself stays valid until it is revoked). */
export function forgetKey(teamId: string | null, storage: Storage = localStorage): void {
  storage.removeItem(slot(teamId));
}
