/**
 * Python's `html.unescape` (CPython `Lib/html/__init__.py`), which openai CLIP's `basic_clean` applies
 * twice to every prompt.
 */
import { decodeHTML } from "entities";

// `_charref`: a name is at most 32 characters (the longest in the table), so each match is scanned once.
const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu;

// `_invalid_charrefs` for 0x80–0x9F: windows-1252's characters, the five it leaves undefined as themselves.
const WINDOWS_1252_C1 =
  "\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f" +
  "\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178";

/**
 * Named references from the HTML5 table, with or without their `;` where the table allows it (`&amp`),
 * else the longest name that starts the reference (`&notit;` is `¬it;`); numeric ones in decimal or
 * hex, with Python's replacements for the code points HTML forbids.
 *
 * @example
 * htmlUnescape("fish &amp; chips &#x27;n&#39; peas"); // "fish & chips 'n' peas"
 */
export function htmlUnescape(text: string): string {
  if (!text.includes("&")) return text;
  // `_replace_charref`. For a name, `entities`' WHATWG decoder reads a reference in text exactly as
  // Python does (the whole name if the table has it, else its longest start the table has without
  // `;`, else the text as written), and the match holds no other `&` for it to decode.
  return text.replace(CHARREF, (reference: string, body: string) =>
    body.startsWith("#") ? numericReference(body) : decodeHTML(reference),
  );
}

/** `_replace_charref` for `#…`: `_invalid_charrefs` first, then surrogates and beyond, then `_invalid_codepoints`. */
function numericReference(body: string): string {
  const hex = body[1] === "x" || body[1] === "X";
  const digits = body.slice(hex ? 2 : 1).replace(/;$/, "");
  // Past 2^53 the value is no longer exact, but it is then far beyond 0x10FFFF either way.
  const code = Number.parseInt(digits, hex ? 16 : 10);
  if (code === 0x00) return "\ufffd";
  if (code === 0x0d) return "\r";
  if (code >= 0x80 && code <= 0x9f) return WINDOWS_1252_C1[code - 0x80] as string;
  if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return "\ufffd";
  if (isInvalidCodePoint(code)) return "";
  return String.fromCodePoint(code);
}

/** `_invalid_codepoints`: C0 controls but tab, LF, FF and CR; DEL; `U+FDD0`–`U+FDEF`; each plane's last two. */
function isInvalidCodePoint(code: number): boolean {
  return (
    (code >= 0x01 && code <= 0x08) ||
    code === 0x0b ||
    (code >= 0x0e && code <= 0x1f) ||
    code === 0x7f ||
    (code >= 0xfdd0 && code <= 0xfdef) ||
    (code & 0xfffe) === 0xfffe
  );
}
