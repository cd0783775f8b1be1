import { describe, expect, it } from "vitest";
import { htmlUnescape } from "./html-unescape.ts";

// Every expected value is what CPython 3.11's `html.unescape` returns for the input.
describe("htmlUnescape reads character references as Python's html.unescape does", () => {
  it("decodes named references, once per call", () => {
    expect(htmlUnescape("fish &amp; chips")).toBe("fish & chips");
    expect(htmlUnescape("&lt;b&gt;")).toBe("<b>");
    expect(htmlUnescape("&amp;amp;")).toBe("&amp;");
    expect(htmlUnescape(htmlUnescape("&amp;amp;"))).toBe("&");
    expect(htmlUnescape("&AMP;")).toBe("&");
    expect(htmlUnescape("&CounterClockwiseContourIntegral;")).toBe("\u2233");
    expect(htmlUnescape("&NotEqualTilde;")).toBe("\u2242\u0338");
  });

  it("takes the legacy names without `;`, and the longest name that starts a reference", () => {
    expect(htmlUnescape("&amp chips")).toBe("& chips");
    expect(htmlUnescape("&ampx")).toBe("&x");
    expect(htmlUnescape("&copy2026")).toBe("\u00a92026");
    expect(htmlUnescape("&notit;")).toBe("\u00acit;");
    expect(htmlUnescape("&notin;")).toBe("\u2209");
  });

  it("keeps what is no reference as written (names are case-sensitive)", () => {
    expect(htmlUnescape("&Nbsp;")).toBe("&Nbsp;");
    expect(htmlUnescape("&amP;")).toBe("&amP;");
    expect(htmlUnescape("&; & &#; &#x; &#xg;")).toBe("&; & &#; &#x; &#xg;");
  });

  it("decodes numeric references, with or without `;`", () => {
    expect(htmlUnescape("&#x27;n&#39;")).toBe("'n'");
    expect(htmlUnescape("&#65&#x42x")).toBe("ABx");
    expect(htmlUnescape("&#x1F600;")).toBe("\u{1F600}");
  });

  it("replaces the code points HTML forbids as Python does", () => {
    expect(htmlUnescape("&#128;&#x81;&#x9F;")).toBe("\u20ac\u0081\u0178");
    expect(htmlUnescape("&#0;")).toBe("\ufffd");
    expect(htmlUnescape("&#13;")).toBe("\r");
    expect(htmlUnescape("a&#1;&#x7f;&#xFDD0;&#xfffe;&#x10FFFF;b")).toBe("ab");
    expect(htmlUnescape("&#xD800;&#x110000;&#99999999999999999999;")).toBe("\ufffd\ufffd\ufffd");
  });
});
