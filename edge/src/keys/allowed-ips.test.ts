import { describe, expect, it } from "vitest";
import { canonicalRange, ipAllowed } from "./allowed-ips.ts";

describe("canonicalRange", () => {
  it("writes ranges one way: bare addresses as /32 or /128, host bits cleared, IPv6 compressed", () => {
    expect(canonicalRange("10.1.2.3/8")).toBe("10.0.0.0/8");
    expect(canonicalRange("203.0.113.7")).toBe("203.0.113.7/32");
    expect(canonicalRange("2001:DB8:0:0::1/32")).toBe("2001:db8::/32");
    expect(canonicalRange("::1")).toBe("::1/128");
  });

  it("refuses what is not a range", () => {
    for (const text of [
      "",
      "10.0.0.0/33",
      "10.0.0/8",
      "300.1.1.1",
      "2001:db8::/129",
      "localhost",
      "10.0.0.0/-1",
    ])
      expect(canonicalRange(text)).toBeNull();
  });
});

describe("ipAllowed", () => {
  const ranges = ["10.0.0.0/8", "2001:db8::/32"];
  it("admits addresses inside a range, IPv4 written as IPv6 too", () => {
    expect(ipAllowed(ranges, "10.255.0.1")).toBe(true);
    expect(ipAllowed(ranges, "::ffff:10.1.2.3")).toBe(true);
    expect(ipAllowed(ranges, "2001:db8:1::5")).toBe(true);
  });

  it("refuses addresses outside, malformed ones and none", () => {
    expect(ipAllowed(ranges, "11.0.0.1")).toBe(false);
    expect(ipAllowed(ranges, "2001:db9::1")).toBe(false);
    expect(ipAllowed(ranges, "not an ip")).toBe(false);
    expect(ipAllowed(ranges, null)).toBe(false);
  });
});
