import ipaddr from "ipaddr.js";

/**
 * `text` as a canonical CIDR range (`10.0.0.0/8`, `2001:db8::/32`), or `null` when it is not one. A
 * bare address is its own range (`/32`, `/128`); host bits are cleared (`10.1.2.3/8` → `10.0.0.0/8`).
 */
export function canonicalRange(text: string): string | null {
  const [addressText = "", bitsText, extra] = text.split("/");
  if (extra !== undefined) return null;
  // Four decimal parts only: ipaddr.js also reads inet_aton's short forms ("10.1" is 10.0.0.1).
  const kind = ipaddr.IPv4.isValidFourPartDecimal(addressText)
    ? "ipv4"
    : ipaddr.IPv6.isValid(addressText)
      ? "ipv6"
      : null;
  if (kind === null) return null;
  const maxBits = kind === "ipv4" ? 32 : 128;
  const bits = bitsText === undefined ? maxBits : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
  if (bits < 0 || bits > maxBits) return null;
  const range = `${ipaddr.parse(addressText).toString()}/${bits}`;
  const network =
    kind === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(range) : ipaddr.IPv6.networkAddressFromCIDR(range);
  return `${network.toString()}/${bits}`;
}

/**
 * Whether `ip` (the caller's address, e.g. `CF-Connecting-IP`) lies in one of `ranges`. An IPv4
 * address written as IPv6 (`::ffff:10.1.2.3`) counts as the IPv4 one. No address: not allowed.
 */
export function ipAllowed(ranges: readonly string[], ip: string | null): boolean {
  if (ip === null || !ipaddr.isValid(ip)) return false;
  const address = ipaddr.process(ip);
  return ranges.some((range) => {
    const [network, bits] = ipaddr.parseCIDR(range);
    return network.kind() === address.kind() && address.match(network, bits);
  });
}
