/**
 * Text preparation and pre-tokenisation as CLIP's tokenizers do it (openai `simple_tokenizer.py`,
 * Hugging Face `CLIPTokenizer`): clean whitespace, lowercase, then split with CLIP's pattern.
 */
import { htmlUnescape } from "./html-unescape.ts";

/** CLIP's pre-tokenisation pattern (the `pat` of `simple_tokenizer.py`), with the `u` flag. */
export const CLIP_PRETOKENIZE_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/gu;

/**
 * `whitespace_clean(basic_clean(text)).lower()` of openai CLIP's `simple_tokenizer.py`: `basic_clean`
 * is `ftfy.fix_text`, then `html.unescape` twice, so `&amp;amp;` reads as `&` (ftfy's repairs are not
 * reproduced; NFC normalisation stands in for their most common effect). A1111 parses emphasis on the
 * raw prompt and tokenizes each run of it, so a character reference is read here, after the brackets,
 * and one that a bracket splits (`&am(p;)`) stays as written.
 */
export function cleanClipText(text: string): string {
  const unescaped = htmlUnescape(htmlUnescape(text.normalize("NFC")));
  return unescaped.replace(/\s+/gu, " ").trim().toLowerCase();
}

/** The pre-tokens of already-cleaned text. */
export function splitClipWords(cleaned: string): string[] {
  return cleaned.match(CLIP_PRETOKENIZE_PATTERN) ?? [];
}
