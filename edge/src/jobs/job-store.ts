import type { JobSpec, JobState } from "./job-state.ts";

/** One stored event of a job's stream; `id` counts from 1 and is the SSE `id:` field. */
export interface StoredEvent {
  id: number;
  name: string;
  /** JSON text. */
  data: string;
}

// A row or value in a Durable Object's SQLite is limited to 2 MB; a spec with img2img input images
// can be larger, so it is kept in parts well under that.
const SPEC_PART_CHARS = 256 * 1024;

/**
 * Progress events are snapshots (step i of N, ETA, maybe a preview image): a client resuming after
 * `Last-Event-ID` needs the latest, not every one. Older ones beyond this many are dropped, so a long
 * job with previews every step keeps a bounded log; queue, start, result and error events are kept.
 */
export const KEPT_PROGRESS_EVENTS = 32;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS state (one INTEGER PRIMARY KEY CHECK (one = 1), json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spec (part INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data TEXT NOT NULL);
`;

/** A job's storage in its Durable Object's SQLite: its state, its spec (until it ends) and its events. */
export class JobStore {
  readonly #sql: SqlStorage;
  #lastEventId = 0;
  #created: boolean;

  // Tables are made by the first write, so reading a job id that does not exist (a typo, a probe)
  // leaves no storage behind.
  constructor(sql: SqlStorage) {
    this.#sql = sql;
    this.#created =
      sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'state'").toArray().length > 0;
    if (this.#created) {
      const row = sql.exec<{ last: number | null }>("SELECT MAX(id) AS last FROM events").one();
      this.#lastEventId = row.last ?? 0;
    }
  }

  #ensure(): void {
    if (this.#created) return;
    this.#sql.exec(SCHEMA);
    this.#created = true;
  }

  state(): JobState | null {
    if (!this.#created) return null;
    const rows = this.#sql.exec<{ json: string }>("SELECT json FROM state WHERE one = 1").toArray();
    return rows[0] ? (JSON.parse(rows[0].json) as JobState) : null;
  }

  saveState(state: JobState): void {
    this.#ensure();
    this.#sql.exec("INSERT OR REPLACE INTO state (one, json) VALUES (1, ?)", JSON.stringify(state));
  }

  spec(): JobSpec | null {
    if (!this.#created) return null;
    const parts = this.#sql.exec<{ text: string }>("SELECT text FROM spec ORDER BY part").toArray();
    return parts.length === 0 ? null : (JSON.parse(parts.map((part) => part.text).join("")) as JobSpec);
  }

  saveSpec(spec: JobSpec): void {
    this.#ensure();
    const text = JSON.stringify(spec);
    for (let part = 0; part * SPEC_PART_CHARS < text.length; part++) {
      const slice = text.slice(part * SPEC_PART_CHARS, (part + 1) * SPEC_PART_CHARS);
      this.#sql.exec("INSERT OR REPLACE INTO spec (part, text) VALUES (?, ?)", part, slice);
    }
  }

  /** A finished job needs its spec no more (it may hold large input images). */
  dropSpec(): void {
    if (!this.#created) return;
    this.#sql.exec("DELETE FROM spec");
  }

  append(name: string, data: string): StoredEvent {
    this.#ensure();
    const event = { id: this.#lastEventId + 1, name, data };
    this.#sql.exec("INSERT INTO events (id, name, data) VALUES (?, ?, ?)", event.id, name, data);
    this.#lastEventId = event.id;
    if (name === "progress") {
      this.#sql.exec(
        `DELETE FROM events WHERE name = 'progress' AND id NOT IN
           (SELECT id FROM events WHERE name = 'progress' ORDER BY id DESC LIMIT ?)`,
        KEPT_PROGRESS_EVENTS,
      );
    }
    return event;
  }

  /** The base64 image of the latest progress event that carried a preview, or `null`. */
  latestPreview(): string | null {
    if (!this.#created) return null;
    const rows = this.#sql
      .exec<{ data: string }>(
        `SELECT data FROM events WHERE name = 'progress' AND data LIKE '%"preview"%' ORDER BY id DESC LIMIT 1`,
      )
      .toArray();
    const data = rows[0] ? (JSON.parse(rows[0].data) as { preview?: { b64?: string } }) : null;
    return data?.preview?.b64 ?? null;
  }

  eventsAfter(id: number): StoredEvent[] {
    if (!this.#created) return [];
    return this.#sql
      .exec<{ id: number; name: string; data: string }>(
        "SELECT id, name, data FROM events WHERE id > ? ORDER BY id",
        id,
      )
      .toArray();
  }
}
