/**
 * Whether a generation runs classifier-free guidance, an unconditional row beside the prompt's: not
 * at a scale of at most 1 (Turbo's and LCM's 0 or 1), nor on a UNet that embeds the scale instead
 * (LCM's `timestep_cond`). Without it `AND` does not split a prompt (see `encodedSubPrompts`), so the
 * token counter asks the same question.
 *
 * @example
 * runsGuidance({ embedsGuidance: false }, 7); // true
 * runsGuidance({ embedsGuidance: false }, 1); // false
 */
export function runsGuidance(model: { embedsGuidance: boolean }, guidanceScale: number): boolean {
  return !model.embedsGuidance && guidanceScale > 1;
}
