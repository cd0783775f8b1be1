import { isSdgateApiError } from "@sdgate/sdk";

/** What went wrong with an action, for the line shown beside it. */
export interface Problem {
  message: string;
  /** The request field the API named (`param`), so the form can mark it; `null` when none. */
  field: string | null;
  /** The HTTP status; `null` when no answer came (network, timeout). */
  status: number | null;
}

/**
 * The problem an SDK call failed with: the API's message and the field it named.
 *
 * @example
 * problemOf(error); // { message: "Invalid 'name': must not be empty", field: "name", status: 400 }
 */
export function problemOf(error: unknown): Problem {
  if (isSdgateApiError(error)) return { message: error.message, field: error.param, status: error.status };
  return { message: error instanceof Error ? error.message : String(error), field: null, status: null };
}

/**
 * The attributes that mark a control as the one an error names (screen readers say it is invalid
 * and read the error line with it): its field, a part of it, or it as a part (`limits.requests_per_minute`).
 *
 * @example
 * <input name="name" {...invalidProps(problem, "name", "team-error")} />
 */
export function invalidProps(
  problem: Problem | null,
  field: string,
  errorId: string,
): { "aria-invalid"?: true; "aria-describedby"?: string } {
  if (problem === null || problem.field === null) return {};
  const named =
    problem.field === field || problem.field.startsWith(`${field}.`) || problem.field.endsWith(`.${field}`);
  return named ? { "aria-invalid": true, "aria-describedby": errorId } : {};
}
