import { type NamedSchema, named, type OperationSpec } from "./operation-spec.ts";
import { sweepBodySchema, sweepEstimateSchema, sweepListSchema, sweepSchema } from "./sweeps.ts";

// Sweeps (issue 17): X/Y/Z grids of generations, priced as a whole and run as async jobs.

export const SWEEP_SCHEMAS = {
  SweepBody: named("SweepBody", sweepBodySchema),
  Sweep: named("Sweep", sweepSchema),
  SweepList: named("SweepList", sweepListSchema),
  SweepEstimate: named("SweepEstimate", sweepEstimateSchema),
} as const satisfies Record<string, NamedSchema>;

export const SWEEP_OPERATIONS = {
  createSweep: {
    method: "POST",
    path: "/v1/sweeps",
    summary:
      "Run a sweep: a base generation request and one to three axes (any generation field, `prompt_sr`, or the SDXL refiner's `refiner` and `refiner_switch_at`, set inside the cell's `refiner`), expanded into at most 400 cells, each checked as a generation request (a bad value is a 400 naming its axis and value). The whole grid is priced as `POST /v1/estimate` prices a request and refused (402 `budget_exceeded`) when it costs more than the team's budget has left this month or than `max_credits`; `dry_run: true` answers the price only (200, `sweep.estimate`). Otherwise each cell is submitted as an async job, as `Prefer: respond-async` does, until the key's rate or concurrency refuses one; the rest wait as `pending` and the server submits them as the key's limits free up, acting as this key (no client needs to stay connected). A key revoked, expired or rotated out since, or a budget spent, stops the waiting cells (`failed`, with that error code, nothing charged) until a resume. `Sdgate-Experiment` (or `experiment`) puts its runs in an experiment.",
    access: { kind: "api_key", scope: "generate" },
    permission: "images.generate",
    idempotent: false,
    body: SWEEP_SCHEMAS.SweepBody,
    success: {
      status: 201,
      schema: [SWEEP_SCHEMAS.Sweep, SWEEP_SCHEMAS.SweepEstimate],
      description: "The sweep with its cells (201), or with `dry_run` its price (200).",
    },
  },
  listSweeps: {
    method: "GET",
    path: "/v1/sweeps",
    summary:
      "The team's sweeps (or the key's own without a team), newest first, with their totals and price.",
    access: { kind: "api_key", scope: "read" },
    permission: "images.read",
    idempotent: true,
    success: { status: 200, schema: SWEEP_SCHEMAS.SweepList, description: "The sweeps." },
  },
  getSweep: {
    method: "GET",
    path: "/v1/sweeps/{id}",
    summary:
      "One of the team's sweeps: each cell with its coordinates, request, status, job id, run id and signed links to its images; totals by status; the price.",
    access: { kind: "api_key", scope: "read" },
    permission: "images.read",
    idempotent: true,
    success: { status: 200, schema: SWEEP_SCHEMAS.Sweep, description: "The sweep." },
  },
  resumeSweep: {
    method: "POST",
    path: "/v1/sweeps/{id}/resume",
    summary:
      "Submit again the cells that failed, were cancelled or never started (finished cells are never run again), until the key's limits refuse one; clears a cancellation. The server then submits the cells left waiting as the calling key.",
    access: { kind: "api_key", scope: "generate" },
    permission: "images.generate",
    idempotent: false,
    success: { status: 200, schema: SWEEP_SCHEMAS.Sweep, description: "The sweep after resuming." },
  },
  cancelSweep: {
    method: "POST",
    path: "/v1/sweeps/{id}/cancel",
    summary:
      "Cancel a sweep: its running jobs are cancelled (their credits refunded) and its pending cells are not submitted; `resume` picks it up again.",
    access: { kind: "api_key", scope: "generate" },
    permission: "images.generate",
    idempotent: true,
    success: { status: 200, schema: SWEEP_SCHEMAS.Sweep, description: "The sweep as cancelled." },
  },
} as const satisfies Record<string, OperationSpec>;
