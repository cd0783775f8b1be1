/**
 * Text preparation and pre-tokenisation as CLIP's tokenizers do it (openai `simple_tokenizer.py`,
 * Hugging Face `CLIPTokenizer`): clean whitespace, lowercase, then split with CLIP's pattern.
 */

/** CLIP's pre-tokenisation pattern (the `pat` of `simple_tokenizer.py`), with the `u` flag. */
export const CLIP_PRETOKENIZE_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/gu;

const HTML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

/** `html.unescape` for the entities prompts actually contain (named basics and numeric ones). */
function unescapeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === "#") {
      const code =
        body[1] === "x" || body[1] === "X" ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1));
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return HTML_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/**
 * `whitespace_clean(basic_clean(text)).lower()`: openai unescapes HTML twice (ftfy's mojibake repair
 * is not reproduced; NFC normalisation stands in for its most common effect).
 */
export function cleanClipText(text: string): string {
  const unescaped = unescapeHtml(unescapeHtml(text.normalize("NFC")));
  return unescaped.replace(/\s+/gu, " ").trim().toLowerCase();
}

/** The pre-tokens of already-cleaned text. */
export function splitClipWords(cleaned: string): string[] {
  return cleaned.match(CLIP_PRETOKENIZE_PATTERN) ?? [];
}
