/**
 * For the one answer that is no wire type of the contract, the OpenAPI document itself: the check made
 * is that the body is a JSON object.
 *
 * @example
 * const document = await transport.json(spec, jsonObject<Record<string, unknown>>, options);
 */
export function jsonObject<T>(json: unknown): T {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TypeError("expected a JSON object");
  }
  return json as T;
}
