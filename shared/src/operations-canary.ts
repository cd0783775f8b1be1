import { splitBodySchema, splitViewSchema } from "./canary.ts";
import { ADMIN, type NamedSchema, named, type OperationSpec } from "./operation-spec.ts";

// Canary releases (issue 16): an alias's split of traffic towards another alias's version.

export const CANARY_SCHEMAS = {
  AliasSplitBody: named("AliasSplitBody", splitBodySchema),
  AliasSplit: named("AliasSplit", splitViewSchema),
} as const satisfies Record<string, NamedSchema>;

const S = CANARY_SCHEMAS;

export const CANARY_OPERATIONS = {
  getAliasSplit: {
    method: "GET",
    path: "/admin/models/{id}/aliases/{alias}/split",
    summary:
      "An alias's canary split: its weight and budgets, the version on each side, each version's requests, error rate and p50/p95 latency, and how the last split ended.",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.AliasSplit, description: "The split (`split: null`: none running)." },
  },
  setAliasSplit: {
    method: "PUT",
    path: "/admin/models/{id}/aliases/{alias}/split",
    summary:
      "Start (or retune) a canary: `weight` percent of the alias's requests go to `to_alias`'s version (both got there by approved promotions). Past `min_requests`, an error rate or p95 latency above its budget rolls it back by itself (audited, actor `system`).",
    access: ADMIN,
    permission: "models.approve",
    idempotent: true,
    body: S.AliasSplitBody,
    success: { status: 200, schema: S.AliasSplit, description: "The split as now running." },
  },
  deleteAliasSplit: {
    method: "DELETE",
    path: "/admin/models/{id}/aliases/{alias}/split",
    summary: "Stop a canary split by hand: all of the alias's traffic goes to its own version again.",
    access: ADMIN,
    permission: "models.approve",
    idempotent: true,
    success: {
      status: 200,
      schema: S.AliasSplit,
      description: "The alias, without a split, and how it ended.",
    },
  },
} as const satisfies Record<string, OperationSpec>;
