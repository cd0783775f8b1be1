/**
 * A checkpoint or ControlNet model title as A1111 lists them (`name.safetensors [6ce0161689]`) without
 * its hash, so a title a client read from a list (or typed with its hash) names the model.
 *
 * @example
 * checkpointName("sd15 [6ce0161689]") // "sd15"
 */
export function checkpointName(title: string): string {
  return title.replace(/\s*\[[0-9a-f]{8,64}\]$/i, "").trim();
}
