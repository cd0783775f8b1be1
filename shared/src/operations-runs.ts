import { type NamedSchema, named, type OperationSpec, queryOf } from "./operation-spec.ts";
import { runListQuerySchema, runListSchema, runSchema } from "./runs.ts";

// A team's run history (issue 17): the generations its keys made, from the API and the Studio.

export const RUN_SCHEMAS = {
  Run: named("Run", runSchema),
  RunList: named("RunList", runListSchema),
} as const satisfies Record<string, NamedSchema>;

export const RUN_OPERATIONS = {
  listRuns: {
    method: "GET",
    path: "/v1/runs",
    summary:
      "The run history: the key's team's generations (every key of the team, the Studio's included), or the key's own without a team; newest first, each with its resolved request, cost, backend, how it ended and signed links to its images.",
    access: { kind: "api_key", scope: "read" },
    permission: "images.read",
    idempotent: true,
    query: queryOf(runListQuerySchema, {
      status: "Only runs that ended so: succeeded, failed or cancelled.",
      model: "Only runs of this model id.",
      q: "Only runs whose prompt or negative prompt contains this text (case-insensitive, no wildcards).",
      before: "A page's `next_before`: the runs older than the last one of that page.",
      limit: "Runs per page, 1 to 100 (default 50).",
    }),
    success: { status: 200, schema: RUN_SCHEMAS.RunList, description: "A page of runs." },
  },
} as const satisfies Record<string, OperationSpec>;
