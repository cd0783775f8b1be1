import { EVIDENCE_KINDS, type PromotionRequest, type PromotionStatus } from "@sdgate/sdk";

type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

import { type Io, UsageError } from "../io.ts";
import { adminClient, CONNECTION_OPTIONS, parse, wholeNumber } from "../options.ts";
import { table } from "../table.ts";
import { exactly, printJson } from "./subcommands.ts";

export const PROMOTIONS_USAGE = `  sdgate models promotions <model id> [--status pending|approved|rejected|superseded]
  sdgate models request-promotion <model id> --alias <alias> --to <version> [--comment <text>]
                     [--evidence <kind>:<ref> …]   (kind: experiment, evaluation or link; e.g.
                                                   evaluation:evl_… from sdgate evaluate)
  sdgate models approve <promotion id> [--expected-revision <n>] [--comment <text>]
                     (someone other than the requester, with models.approve; a stale revision is refused)
  sdgate models reject <promotion id> [--comment <text>]   (an approver, or the requester withdrawing)`;

const MODEL_ID = "a model id (see sdgate models list)";
const PROMOTION_ID = "a promotion request's id (see sdgate models promotions)";
const STATUSES: readonly PromotionStatus[] = ["pending", "approved", "rejected", "superseded"];
const COMMENT = { comment: { type: "string" } } as const;

function statusOf(value: string | undefined): PromotionStatus | undefined {
  if (value === undefined) return undefined;
  const status = STATUSES.find((s) => s === value);
  if (status === undefined)
    throw new UsageError(`--status must be one of ${STATUSES.join(", ")}, got '${value}'.`);
  return status;
}

const summaryOf = (r: PromotionRequest) =>
  `${r.id}: ${r.model_id}@${r.alias} ${r.from_version ?? "(new)"} → ${r.to_version}, ${r.status}`;

export async function promotions(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, status: { type: "string" } });
  const [id = ""] = exactly(positionals, [MODEL_ID], "models promotions");
  const status = statusOf(values.status);
  const list = await adminClient(values, io).registry.promotions(id, status === undefined ? {} : { status });
  if (values.json) return printJson(io, list);
  const rows = list.data.map((r) => [
    r.id,
    r.alias,
    r.from_version ?? "-",
    r.to_version,
    r.status,
    r.requested_by,
    r.decided_by ?? "-",
  ]);
  io.out(`${table(["ID", "ALIAS", "FROM", "TO", "STATUS", "REQUESTED BY", "DECIDED BY"], rows)}\n`);
}

/** `evaluation:evl_…` → `{ kind: "evaluation", ref: "evl_…" }`; a link keeps its own colons. */
function evidenceOf(text: string): { kind: EvidenceKind; ref: string } {
  const colon = text.indexOf(":");
  const kind = EVIDENCE_KINDS.find((known) => known === text.slice(0, colon));
  const ref = text.slice(colon + 1);
  if (colon < 1 || kind === undefined || ref === "")
    throw new UsageError(
      `--evidence must be <kind>:<ref> with kind ${EVIDENCE_KINDS.join(", ")}, got '${text}'.`,
    );
  return { kind, ref };
}

export async function requestPromotion(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    ...COMMENT,
    alias: { type: "string" },
    to: { type: "string" },
    evidence: { type: "string", multiple: true },
  });
  const [id = ""] = exactly(positionals, [MODEL_ID], "models request-promotion");
  const evidence = (values.evidence ?? []).map(evidenceOf);
  if (values.alias === undefined || values.to === undefined)
    throw new UsageError("models request-promotion needs --alias and --to (a version such as v3).");
  const request = await adminClient(values, io).registry.requestPromotion(id, {
    alias: values.alias,
    to_version: values.to,
    ...(values.comment === undefined ? {} : { comment: values.comment }),
    ...(evidence.length === 0 ? {} : { evidence }),
  });
  if (values.json) return printJson(io, request);
  io.out(`Requested ${summaryOf(request)}; someone else with models.approve decides.\n`);
}

export async function approve(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    ...COMMENT,
    "expected-revision": { type: "string" },
  });
  const [id = ""] = exactly(positionals, [PROMOTION_ID], "models approve");
  const expected = wholeNumber("expected-revision", values["expected-revision"]);
  const approved = await adminClient(values, io).registry.approve(id, {
    ...(values.comment === undefined ? {} : { comment: values.comment }),
    ...(expected === undefined ? {} : { expected_revision: expected }),
  });
  if (values.json) return printJson(io, approved);
  const { alias } = approved;
  io.out(
    `Approved ${approved.request.id}: ${alias.model_id}@${alias.name} → ${alias.version} (revision ${alias.revision})\n`,
  );
  if (approved.superseded.length > 0) io.out(`Superseded: ${approved.superseded.join(", ")}\n`);
}

export async function reject(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, ...COMMENT });
  const [id = ""] = exactly(positionals, [PROMOTION_ID], "models reject");
  const rejected = await adminClient(values, io).registry.reject(
    id,
    values.comment === undefined ? {} : { comment: values.comment },
  );
  if (values.json) return printJson(io, rejected);
  io.out(`Rejected ${summaryOf(rejected)}\n`);
}
