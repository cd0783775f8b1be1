/**
 * For answers typed loosely (`loose.ts`): the one check made is that the body is a JSON object.
 *
 * @example
 * const estimate = await transport.json(spec, jsonObject<Estimate>, options);
 */
export function jsonObject<T>(json: unknown): T {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TypeError("expected a JSON object");
  }
  return json as T;
}
