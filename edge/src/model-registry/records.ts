import {
  type Alias,
  type AliasMove,
  type Evidence,
  evidenceSchema,
  type ModelSource,
  type ModelVersion,
  modelSourceSchema,
  type PromotionRequest,
  type PromotionStatus,
  versionLabel,
} from "@sdgate/shared";
import { z } from "zod";

export type { Change } from "../identity/directory/index.ts";

/** What the registry refuses, each naming what it refused so the routes can say it (code → status there). */
export type RegistryProblem =
  /** `param`: the field at fault, where one is. */
  | { code: "invalid"; message: string; param?: string }
  | { code: "not_found"; ref: string; message: string }
  | { code: "model_exists"; message: string }
  | { code: "duplicate_digest"; version: string; message: string }
  | { code: "licence_not_accepted"; licence: string; message: string }
  | { code: "alias_exists"; message: string }
  | { code: "self_approval"; message: string }
  | { code: "not_pending"; status: PromotionStatus; message: string }
  /** The alias moved since its base was read (a 409): `current` is where it is now. */
  | { code: "conflict"; current: { version: string | null; revision: number }; message: string };

export type Problem<C extends RegistryProblem["code"]> = Extract<RegistryProblem, { code: C }>;

export const notFound = (ref: string, what = "Model reference"): Problem<"not_found"> => ({
  code: "not_found",
  ref,
  message: `${what} '${ref}' does not exist.`,
});

/** Raised when a D1 row does not parse: a server-side problem, never the caller's. */
export class CorruptRegistryRowError extends Error {
  override readonly name = "CorruptRegistryRowError";
}

function parseJson<T>(schema: z.ZodType<T>, text: string, owner: string): T {
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new CorruptRegistryRowError(`${owner} does not parse: ${parsed.error.message}`);
  return parsed.data;
}

export const VERSION_COLUMNS =
  "model_id, version, digest, source, engine_version, licence_id, licence_accepted_by, licence_accepted_at, card, registered_by, registered_at";

export interface VersionRow {
  model_id: string;
  version: number;
  digest: string;
  source: string;
  engine_version: string;
  licence_id: string;
  licence_accepted_by: string;
  licence_accepted_at: string;
  card: string;
  registered_by: string;
  registered_at: string;
}

export function versionFromRow(row: VersionRow): ModelVersion {
  const label = `${row.model_id}@${versionLabel(row.version)}`;
  return {
    model_id: row.model_id,
    version: versionLabel(row.version),
    digest: row.digest,
    source: parseJson<ModelSource>(modelSourceSchema, row.source, `Version ${label}'s source`),
    engine_version: row.engine_version,
    licence: {
      id: row.licence_id,
      accepted_by: row.licence_accepted_by,
      accepted_at: row.licence_accepted_at,
    },
    card: row.card,
    registered_by: row.registered_by,
    registered_at: row.registered_at,
  };
}

export const ALIAS_COLUMNS = "model_id, name, version, revision, updated_at, updated_by, promotion_id";

export type AliasRow = Omit<Alias, "version"> & { version: number };

export const aliasFromRow = (row: AliasRow): Alias => ({ ...row, version: versionLabel(row.version) });

export const MOVE_COLUMNS =
  "model_id, name, from_version, to_version, revision, moved_at, moved_by, promotion_id, reason";

export type MoveRow = Omit<AliasMove, "from_version" | "to_version"> & {
  from_version: number | null;
  to_version: number;
};

export const moveFromRow = (row: MoveRow): AliasMove => ({
  ...row,
  from_version: row.from_version === null ? null : versionLabel(row.from_version),
  to_version: versionLabel(row.to_version),
});

export const PROMOTION_COLUMNS =
  "id, model_id, alias, from_version, to_version, requested_by, requested_at, comment, evidence, status, decided_by, decided_at, decision_comment";

export type PromotionRow = Omit<PromotionRequest, "from_version" | "to_version" | "evidence"> & {
  from_version: number | null;
  to_version: number;
  evidence: string;
};

export const promotionFromRow = (row: PromotionRow): PromotionRequest => ({
  ...row,
  from_version: row.from_version === null ? null : versionLabel(row.from_version),
  to_version: versionLabel(row.to_version),
  evidence: parseJson<Evidence[]>(
    z.array(evidenceSchema),
    row.evidence,
    `Promotion request ${row.id}'s evidence`,
  ),
});

/** The first problem zod found, as one line naming the field. */
export function invalid(error: z.ZodError): Problem<"invalid"> {
  const issue = error.issues[0];
  const where = issue?.path.length ? `'${issue.path.join(".")}' ` : "";
  return { code: "invalid", message: `Invalid ${where}${issue?.message ?? "input"}`.trim() };
}

/** A statement's rows, each read by `from`. */
export async function allOf<R, T>(statement: D1PreparedStatement, from: (row: R) => T): Promise<T[]> {
  const { results } = await statement.all<R>();
  return results.map(from);
}

/** A statement's first row, read by `from`; `null` when there is none. */
export async function firstOf<R, T>(statement: D1PreparedStatement, from: (row: R) => T): Promise<T | null> {
  const row = await statement.first<R>();
  return row ? from(row) : null;
}

/** The first row of one statement's answer in a batch. */
export const firstInBatch = <R>(result: D1Result | undefined): R | undefined =>
  (result?.results as R[] | undefined)?.[0];
