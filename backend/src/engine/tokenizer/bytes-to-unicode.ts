/**
 * GPT-2's reversible byte → unicode table, as CLIP uses it (`bytes_to_unicode` in openai's
 * `clip/simple_tokenizer.py`): printable Latin-1 bytes map to themselves, the rest to code points from
 * 256 upwards, so every byte string becomes a string of visible characters that BPE can merge.
 */
function buildByteToUnicode(): string[] {
  const printable: number[] = [];
  const ranges: [number, number][] = [
    [0x21, 0x7e], // "!" .. "~"
    [0xa1, 0xac], // "¡" .. "¬"
    [0xae, 0xff], // "®" .. "ÿ"
  ];
  for (const [from, to] of ranges) for (let b = from; b <= to; b++) printable.push(b);
  const table: string[] = new Array(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + next++);
  }
  return table;
}

/** `BYTE_TO_UNICODE[b]` is the one-character string that stands for byte `b`. */
export const BYTE_TO_UNICODE: readonly string[] = buildByteToUnicode();

/**
 * The 256 byte characters in openai's order (printable bytes first, then the remapped ones). CLIP's
 * vocabulary starts with them, then the same characters with `</w>` appended.
 */
export const BYTE_CHARS_IN_VOCAB_ORDER: readonly string[] = (() => {
  const printable = [...BYTE_TO_UNICODE.entries()].filter(([b, c]) => c.codePointAt(0) === b);
  const remapped = [...BYTE_TO_UNICODE.entries()].filter(([b, c]) => c.codePointAt(0) !== b);
  return [...printable, ...remapped].map(([, c]) => c);
})();

const encoder = new TextEncoder();

/** A piece of text as its UTF-8 bytes, each written as its byte character. */
export function toByteChars(text: string): string[] {
  return Array.from(encoder.encode(text), (b) => BYTE_TO_UNICODE[b] as string);
}
