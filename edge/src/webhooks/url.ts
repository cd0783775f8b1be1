import { SdgateError } from "@sdgate/shared";

/** The request header that asks for a webhook when the job ends (the body schema is OpenAI's, kept strict). */
export const WEBHOOK_URL_HEADER = "Sdgate-Webhook-Url";

export const MAX_WEBHOOK_URL_CHARS = 2_048;

/** Where a host points, as far as its text tells: a name is `public` unless it is a known local one. */
export type HostReach = "public" | "loopback" | "private";

type Cidr4 = { base: number; mask: number };
type Cidr6 = { hextets: number[]; bits: number };

function cidr4(text: string): Cidr4 {
  const [address = "", bits = "32"] = text.split("/");
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return { base: ((ipv4Number(address) ?? 0) & mask) >>> 0, mask };
}

function cidr6(text: string): Cidr6 {
  const [address = "", bits = "128"] = text.split("/");
  return { hextets: parseIpv6(address) ?? [], bits: Number(bits) };
}

const IPV4_LOOPBACK = [cidr4("127.0.0.0/8")];

// IANA's IPv4 Special-Purpose Address Registry (RFC 6890 and its updates), with multicast and the
// reserved class E: none of it is a public webhook receiver.
const IPV4_NOT_PUBLIC = [
  "0.0.0.0/8", // "this network" (RFC 791); Linux connects 0.0.0.0 to the local host
  "10.0.0.0/8", // RFC 1918
  "100.64.0.0/10", // shared address space, carrier-grade NAT (RFC 6598)
  "169.254.0.0/16", // link-local (RFC 3927), where clouds serve instance metadata
  "172.16.0.0/12", // RFC 1918
  "192.0.0.0/24", // IETF protocol assignments (RFC 6890)
  "192.0.2.0/24", // documentation (RFC 5737)
  "192.88.99.0/24", // 6to4 relay anycast (RFC 7526)
  "192.168.0.0/16", // RFC 1918
  "198.18.0.0/15", // benchmarking (RFC 2544)
  "198.51.100.0/24", // documentation (RFC 5737)
  "203.0.113.0/24", // documentation (RFC 5737)
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved (RFC 1112), 255.255.255.255 included
].map(cidr4);

// IPv6 forms that carry an IPv4 address, which decides where they lead: the hextet it starts at.
const IPV6_EMBEDDING_IPV4: { prefix: Cidr6; at: number }[] = [
  { prefix: cidr6("::ffff:0:0/96"), at: 6 }, // IPv4-mapped (RFC 4291)
  { prefix: cidr6("64:ff9b::/96"), at: 6 }, // NAT64 well-known prefix (RFC 6052)
  { prefix: cidr6("2002::/16"), at: 1 }, // 6to4 (RFC 3056)
];

// IANA's IPv6 Special-Purpose Address Registry, within or beside global unicast (2000::/3): anything
// outside 2000::/3 that no rule above admits is refused too.
const IPV6_NOT_PUBLIC = [
  "::/96", // unspecified, and IPv4-compatible (deprecated, RFC 4291)
  "64:ff9b:1::/48", // NAT64 for local use (RFC 8215)
  "100::/64", // discard-only (RFC 6666)
  "2001::/23", // IETF protocol assignments: Teredo, benchmarking, ORCHID (RFC 2928)
  "2001:db8::/32", // documentation (RFC 3849)
  "3fff::/20", // documentation (RFC 9637)
  "5f00::/16", // SRv6 SIDs (RFC 9602)
  "fc00::/7", // unique local (RFC 4193)
  "fe80::/10", // link-local
  "fec0::/10", // site-local (deprecated, RFC 3879)
  "ff00::/8", // multicast
].map(cidr6);
const IPV6_GLOBAL_UNICAST = cidr6("2000::/3");

// Names that never lead to the public Internet: RFC 6761's special-use names, RFC 8375's home.arpa,
// ICANN's .internal, mDNS's .local (RFC 6762), and the private TLDs RFC 6762 appendix G found in use.
const LOOPBACK_NAMES = ["localhost"];
const PRIVATE_NAMES = [
  "local",
  "internal",
  "home.arpa",
  "localdomain",
  "test",
  "invalid",
  "example",
  "intranet",
  "private",
  "corp",
  "home",
  "lan",
];

function ipv4Number(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((part) => !/^\d{1,3}$/.test(part) || Number(part) > 255)) return null;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

function ipv4Reach(address: number): HostReach {
  const within = (cidr: Cidr4) => (address & cidr.mask) >>> 0 === cidr.base;
  if (IPV4_LOOPBACK.some(within)) return "loopback";
  return IPV4_NOT_PUBLIC.some(within) ? "private" : "public";
}

/** The eight 16-bit pieces of an IPv6 address (RFC 4291 section 2.2 text forms), or null. */
function parseIpv6(text: string): number[] | null {
  let rest = text;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(rest);
  if (dotted) {
    const v4 = ipv4Number(dotted[2] ?? "");
    if (v4 === null) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
    rest = (dotted[1] ?? "").replace(/(?<!:):$/, "");
  }
  const halves = rest.split("::");
  if (halves.length > 2) return null;
  const pieces = (half: string | undefined) => (half ? half.split(":") : []);
  const head = pieces(halves[0]);
  const after = pieces(halves[1]);
  if ([...head, ...after].some((piece) => !/^[0-9a-f]{1,4}$/i.test(piece))) return null;
  const known = head.length + after.length + tail.length;
  const zeros = halves.length === 2 ? 8 - known : 0;
  if (zeros < 0 || (halves.length === 2 && zeros === 0) || known + zeros !== 8) return null;
  return [
    ...head.map((piece) => Number.parseInt(piece, 16)),
    ...Array<number>(zeros).fill(0),
    ...after.map((piece) => Number.parseInt(piece, 16)),
    ...tail,
  ];
}

function within6(hextets: number[], cidr: Cidr6): boolean {
  for (let bit = 0; bit < cidr.bits; bit += 16) {
    const take = Math.min(16, cidr.bits - bit);
    const mask = (0xffff << (16 - take)) & 0xffff;
    const i = bit / 16;
    if (((hextets[i] ?? 0) & mask) !== ((cidr.hextets[i] ?? 0) & mask)) return false;
  }
  return true;
}

function ipv6Reach(hextets: number[]): HostReach {
  if (hextets.every((piece, i) => piece === (i === 7 ? 1 : 0))) return "loopback";
  for (const { prefix, at } of IPV6_EMBEDDING_IPV4) {
    if (within6(hextets, prefix))
      return ipv4Reach(((hextets[at] ?? 0) * 0x10000 + (hextets[at + 1] ?? 0)) >>> 0);
  }
  if (IPV6_NOT_PUBLIC.some((cidr) => within6(hextets, cidr))) return "private";
  return within6(hextets, IPV6_GLOBAL_UNICAST) ? "public" : "private";
}

/**
 * Where a URL's host (`url.hostname`, already canonical per WHATWG URL: IPv4 in any notation becomes
 * dotted decimal, IPv6 is compressed hex) points, from its text alone: names that resolve to a private
 * address are `public` here (see docs/security.md). Trailing dots, which DNS ignores, are ignored.
 *
 * @example
 * hostReach(new URL("https://0x7f.1/").hostname); // "loopback"
 */
export function hostReach(hostname: string): HostReach {
  if (hostname.startsWith("[")) {
    const hextets = parseIpv6(hostname.slice(1, -1));
    return hextets === null ? "private" : ipv6Reach(hextets);
  }
  const trimmed = hostname.replace(/\.+$/, "");
  let host: string;
  try {
    // Without its trailing dots a name may read as an address ("127.0.0.1.." is a name to WHATWG URL).
    host = new URL(`http://${trimmed}/`).hostname;
  } catch {
    return "private";
  }
  const v4 = ipv4Number(host);
  if (v4 !== null) return ipv4Reach(v4);
  const named = (names: string[]) => names.some((name) => host === name || host.endsWith(`.${name}`));
  if (named(LOOPBACK_NAMES)) return "loopback";
  // A name without a dot is resolved by search domains, inside whatever network the resolver sits in.
  if (!host.includes(".") || named(PRIVATE_NAMES)) return "private";
  return "public";
}

function refuse(message: string): SdgateError {
  return new SdgateError("invalid_request", `${WEBHOOK_URL_HEADER} ${message}`, {
    param: WEBHOOK_URL_HEADER,
  });
}

/**
 * The webhook URL of a request, checked: `https://` to a public host, or with `allowLoopback`
 * (`SDGATE_WEBHOOK_ALLOW_LOOPBACK=true`, for development) `http://` or `https://` to a loopback one
 * (127.0.0.0/8, ::1, localhost). A webhook is a request the edge makes on the caller's behalf, so it
 * must not reach infrastructure the caller cannot reach itself. Throws a 400 naming the header otherwise.
 *
 * @example
 * const url = checkWebhookUrl(c.req.header("Sdgate-Webhook-Url"), { allowLoopback: false });
 */
export function checkWebhookUrl(
  value: string | undefined,
  options: { allowLoopback: boolean },
): string | null {
  if (value === undefined || value.trim() === "") return null;
  if (value.length > MAX_WEBHOOK_URL_CHARS)
    return refuseThrow(`must be at most ${MAX_WEBHOOK_URL_CHARS} characters.`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return refuseThrow("must be an absolute URL.");
  }
  if (url.username !== "" || url.password !== "") return refuseThrow("must not carry credentials.");
  const reach = hostReach(url.hostname);
  if (
    reach === "loopback" &&
    options.allowLoopback &&
    (url.protocol === "http:" || url.protocol === "https:")
  )
    return url.href;
  if (url.protocol !== "https:") return refuseThrow("must be an https:// URL.");
  if (reach !== "public") return refuseThrow("must point at a public host.");
  return url.href;
}

function refuseThrow(message: string): never {
  throw refuse(message);
}
