/**
 * sdgate's XMP packet for formats without PNG text chunks (WebP, JPEG, AVIF): the A1111 `parameters`
 * text and the JSON recipe as two properties in sdgate's namespace (XMP spec part 1, §7.9: simple
 * properties of an `rdf:Description`).
 */

export const SDGATE_XMP_NAMESPACE = "https://sdgate.dev/ns/xmp/1.0/";
const PROPERTIES = ["parameters", "recipe"] as const;

export function buildXmp(values: { parameters: string; recipe: string }): string {
  const properties = PROPERTIES.map(
    (name) => `<sdgate:${name}>${escapeXml(values[name])}</sdgate:${name}>`,
  ).join("");
  return (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>' +
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    `<rdf:Description rdf:about="" xmlns:sdgate="${SDGATE_XMP_NAMESPACE}">${properties}</rdf:Description>` +
    '</rdf:RDF></x:xmpmeta><?xpacket end="r"?>'
  );
}

/** The sdgate properties of an XMP packet (as written by `buildXmp`). */
export function readXmp(xmp: string): { parameters?: string; recipe?: string } {
  const found: { parameters?: string; recipe?: string } = {};
  for (const name of PROPERTIES) {
    const match = new RegExp(`<sdgate:${name}>([\\s\\S]*?)</sdgate:${name}>`).exec(xmp);
    if (match?.[1] !== undefined) found[name] = unescapeXml(match[1]);
  }
  return found;
}

function escapeXml(text: string): string {
  return text.replace(
    /[&<>\r]/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;" })[c] as string,
  );
}

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-f]+|#[0-9]+);/gi, (_, entity: string) => {
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    const lower = entity.toLowerCase();
    if (named[lower] !== undefined) return named[lower];
    return String.fromCodePoint(
      lower.startsWith("#x") ? Number.parseInt(lower.slice(2), 16) : Number(lower.slice(1)),
    );
  });
}
