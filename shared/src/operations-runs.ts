import { type NamedSchema, named, type OperationSpec, queryOf } from "./operation-spec.ts";
import {
  experimentListSchema,
  runListQuerySchema,
  runListSchema,
  runNotesBodySchema,
  runSchema,
} from "./runs.ts";

// A team's run history (issue 17): the generations its keys made, from the API and the Studio.

export const RUN_SCHEMAS = {
  Run: named("Run", runSchema),
  RunList: named("RunList", runListSchema),
  RunNotes: named("RunNotes", runNotesBodySchema),
  ExperimentList: named("ExperimentList", experimentListSchema),
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
      experiment: "Only runs of this experiment (by name).",
      person: "Only runs of keys this person made (their user id, a run's `person`).",
      key: "Only runs of this key (its id, a run's `key_id`).",
      before: "A page's `next_before`: the runs older than the last one of that page.",
      limit: "Runs per page, 1 to 100 (default 50).",
    }),
    success: { status: 200, schema: RUN_SCHEMAS.RunList, description: "A page of runs." },
  },
  getRun: {
    method: "GET",
    path: "/v1/runs/{id}",
    summary:
      "One run of the history (the key's team's, or the key's own): its resolved request (input images by digest), cost, outcome and signed links to its images and its input images. Anyone else's run is a 404.",
    access: { kind: "api_key", scope: "read" },
    permission: "images.read",
    idempotent: true,
    success: { status: 200, schema: RUN_SCHEMAS.Run, description: "The run." },
  },
  annotateRun: {
    method: "PATCH",
    path: "/v1/runs/{id}",
    summary:
      "Say something of one of the team's runs: notes, tags, a rating from 1 to 5 (each field given replaces the old).",
    access: { kind: "api_key", scope: "generate" },
    permission: "images.generate",
    idempotent: true,
    body: RUN_SCHEMAS.RunNotes,
    success: { status: 200, schema: RUN_SCHEMAS.Run, description: "The run as now noted." },
  },
  listExperiments: {
    method: "GET",
    path: "/v1/experiments",
    summary:
      "The team's experiments (or the key's own), newest first, each with its run count. A generation joins one by naming it in its `Sdgate-Experiment` header, which makes it on first use.",
    access: { kind: "api_key", scope: "read" },
    permission: "images.read",
    idempotent: true,
    success: { status: 200, schema: RUN_SCHEMAS.ExperimentList, description: "The experiments." },
  },
} as const satisfies Record<string, OperationSpec>;
