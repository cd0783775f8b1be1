import { SdgateError } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { checkWebhookUrl, hostReach, WEBHOOK_URL_HEADER } from "./url.ts";

const strict = { allowLoopback: false };
const development = { allowLoopback: true };

function refusal(value: string, options = strict): string | null {
  try {
    checkWebhookUrl(value, options);
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(SdgateError);
    expect((error as SdgateError).param).toBe(WEBHOOK_URL_HEADER);
    return (error as SdgateError).message;
  }
}

describe("webhook URLs: happy", () => {
  it.each([
    "https://hooks.example.com/sdgate",
    "https://hooks.example.com./sdgate",
    "https://8.8.8.8/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://[2002:808:808::1]/hook", // 6to4 of 8.8.8.8
    "https://[64:ff9b::808:808]/hook", // NAT64 of 8.8.8.8
    "https://[::ffff:8.8.8.8]/hook",
    // Next to the refused ranges, on either side.
    "https://100.63.255.255/",
    "https://100.128.0.0/",
    "https://169.253.255.255/",
    "https://169.255.0.0/",
    "https://172.15.255.255/",
    "https://172.32.0.0/",
    "https://192.0.1.0/",
    "https://192.167.255.255/",
    "https://198.17.255.255/",
    "https://198.20.0.0/",
    "https://223.255.255.255/",
    "https://[2001:200::1]/",
    "https://[2001:db9::1]/",
    "https://[2003::1]/",
  ])("takes %s", (url) => {
    expect(checkWebhookUrl(url, strict)).toBe(new URL(url).href);
  });

  it("takes no header as no webhook", () => {
    expect(checkWebhookUrl(undefined, strict)).toBeNull();
    expect(checkWebhookUrl("  ", strict)).toBeNull();
  });

  it("lets development (SDGATE_WEBHOOK_ALLOW_LOOPBACK) call this machine, and nothing else private", () => {
    for (const url of [
      "http://127.0.0.1:9/hook",
      "http://127.1:9/hook",
      "http://localhost:9/hook",
      "http://localhost.:9/hook",
      "http://receiver.localhost:9/hook",
      "http://[::1]:9/hook",
      "https://127.0.0.1:9/hook",
    ])
      expect(checkWebhookUrl(url, development)).toBe(new URL(url).href);
    expect(refusal("http://10.0.0.8/hook", development)).toContain("https://");
    expect(refusal("https://10.0.0.8/hook", development)).toContain("public host");
    expect(refusal("https://169.254.169.254/latest/meta-data", development)).toContain("public host");
    expect(refusal("http://example.com/hook", development)).toContain("https://");
  });
});

describe("webhook URLs: security", () => {
  it("can rely on WHATWG URL parsing to write every IPv4 notation as dotted decimal", () => {
    for (const host of [
      "0x7f.1",
      "2130706433",
      "127.1",
      "0177.0.0.1",
      "0x7f000001",
      "127.0.0.1.",
      "%31%32%37.0.0.1",
      "１２７.０.０.１",
    ])
      expect(new URL(`https://${host}/`).hostname).toBe("127.0.0.1");
    expect(new URL("https://[::ffff:127.0.0.1]/").hostname).toBe("[::ffff:7f00:1]");
  });

  it.each([
    // Loopback in every notation, and with trailing dots.
    "https://localhost/",
    "https://LOCALHOST/",
    "https://localhost./",
    "https://localhost.../",
    "https://app.localhost./",
    "https://127.0.0.1/",
    "https://127.0.0.1./",
    "https://127.0.0.1../",
    "https://0x7f.1/",
    "https://2130706433/",
    "https://127.1/",
    "https://0177.0.0.1/",
    "https://127.255.255.254/",
    "https://%31%32%37.0.0.1/",
    "https://１２７.０.０.１/",
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::127.0.0.1]/",
    // Private, shared, link-local, unspecified, reserved IPv4.
    "https://0.0.0.0/",
    "https://0/",
    "https://0.1.2.3/",
    "https://10.0.0.1/",
    "https://10.255.255.255/",
    "https://100.64.0.1/",
    "https://100.127.255.255/",
    "https://169.254.169.254/",
    "https://172.16.0.1/",
    "https://172.31.255.255/",
    "https://192.0.0.170/",
    "https://192.0.2.1/",
    "https://192.88.99.1/",
    "https://192.168.1.1/",
    "https://198.18.0.1/",
    "https://198.19.255.255/",
    "https://198.51.100.7/",
    "https://203.0.113.7/",
    "https://224.0.0.1/",
    "https://239.255.255.250/",
    "https://240.0.0.1/",
    "https://255.255.255.255/",
    // IPv6: unspecified, unique local, link-local, site-local, multicast, documentation, Teredo.
    "https://[::]/",
    "https://[fc00::1]/",
    "https://[fd12:3456:789a::1]/",
    "https://[fe80::1]/",
    "https://[febf:ffff::1]/",
    "https://[fec0::1]/",
    "https://[ff02::1]/",
    "https://[2001:db8::1]/",
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    "https://[3fff::1]/",
    "https://[100::1]/",
    "https://[64:ff9b:1::a00:1]/",
    "https://[4000::1]/",
    // IPv6 forms that carry a private IPv4 address.
    "https://[::ffff:10.0.0.1]/",
    "https://[::ffff:a9fe:a9fe]/",
    "https://[64:ff9b::10.0.0.1]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[64:ff9b::7f00:1]/",
    "https://[2002:a9fe:a9fe::1]/",
    "https://[2002:7f00:1::]/",
    "https://[2002:c0a8:101::1]/",
    // Names that only resolve inside a network.
    "https://printer.local/",
    "https://metadata.google.internal/",
    "https://router.home.arpa/",
    "https://box.localdomain/",
    "https://nas.lan/",
    "https://api.test/",
    "https://intranet/",
    "https://intranet./",
    "https://metadata/",
  ])("refuses %s", (url) => {
    expect(refusal(url)).toContain("must point at a public host");
  });

  it("refuses plain http, credentials, non-URLs and overlong URLs by name", () => {
    expect(refusal("http://hooks.example.com/")).toContain("https://");
    expect(refusal("https://user:pass@hooks.example.com/")).toContain("credentials");
    expect(refusal("not a url")).toContain("absolute URL");
    expect(refusal(`https://hooks.example.com/${"a".repeat(2_048)}`)).toContain("at most 2048");
  });

  it("reads where a host points from its text; names are public unless known to be local", () => {
    expect(hostReach("hooks.example.com")).toBe("public");
    expect(hostReach("localhost..")).toBe("loopback");
    expect(hostReach("[::ffff:7f00:1]")).toBe("loopback");
    expect(hostReach("[fd00::1]")).toBe("private");
    expect(hostReach("[not:an:address]")).toBe("private");
  });
});
