/**
 * The preference names of a `Prefer` header (RFC 7240 §2: `token [= value] *(; parameter)`, comma-
 * separated, possibly over several header lines, which fetch joins with ", "), lowercased.
 */
export function preferences(header: string | undefined): Set<string> {
  const names = new Set<string>();
  if (!header) return names;
  for (const item of header.split(",")) {
    const name = item.split(/[=;]/, 1)[0]?.trim().toLowerCase();
    if (name) names.add(name);
  }
  return names;
}

/** `Prefer: respond-async` (RFC 7240 §4.1): answer 202 at once and let the client follow the job. */
export function prefersAsync(header: string | undefined): boolean {
  return preferences(header).has("respond-async");
}
