import type { SweepBody } from "@sdgate/shared";
import type { AxisDraft } from "./axis-editor.tsx";
import { FIELD_LABELS, parseAxisValues } from "./axis-values.ts";

/** What the builder's extra fields hold, as typed. */
export interface SweepExtras {
  name: string;
  experiment: string;
  maxCredits: string;
}

/**
 * The body of `POST /v1/sweeps` from the base request and the axes as typed, or what keeps it from
 * being one (an axis whose values do not parse, a cap that is not a whole number).
 *
 * @example
 * const body = sweepBodyOf(requestOf(draft), [{ field: "steps", text: "10-30 (+10)" }], extras);
 */
export function sweepBodyOf(
  request: Record<string, unknown>,
  axes: readonly AxisDraft[],
  extras: SweepExtras,
): { ok: true; body: SweepBody } | { ok: false; message: string } {
  const parsedAxes: SweepBody["axes"] = [];
  for (const axis of axes) {
    const parsed = parseAxisValues(axis.field, axis.text);
    if (!parsed.ok) return { ok: false, message: `${FIELD_LABELS[axis.field]}: ${parsed.message}` };
    parsedAxes.push({ field: axis.field, values: parsed.values });
  }
  const cap = extras.maxCredits.trim();
  if (cap !== "" && !/^\d+$/.test(cap))
    return { ok: false, message: "Credit cap: a whole number of credits, or empty for none." };
  return {
    ok: true,
    body: {
      request,
      axes: parsedAxes,
      ...(extras.name.trim() === "" ? {} : { name: extras.name.trim() }),
      ...(extras.experiment.trim() === "" ? {} : { experiment: extras.experiment.trim() }),
      ...(cap === "" ? {} : { max_credits: Number(cap) }),
    },
  };
}
