import type { ResolvedGenerationRequest } from "@sdgate/shared";

/**
 * A fake backend's `control_maps`, as the `none` preprocessor makes them: with `return_control_maps`,
 * each unit's control image is its map.
 */
export function fakeControlMaps(request: ResolvedGenerationRequest) {
  if (!request.return_control_maps) return {};
  return {
    control_maps: (request.controlnet ?? []).map((unit, index) => ({ unit: index, b64: unit.image })),
  };
}
