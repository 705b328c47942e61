/**
 * Text shaping for untrusted label values (team, project and namespace names come from cluster labels):
 * strip control and formatting characters, truncate to a width with an ellipsis, wrap paragraphs.
 * Widths come from a `measure` callback (pdfkit's widthOfString in the current font and size).
 */

export type Measure = (text: string) => number;

const ELLIPSIS = '…';

// Cc: C0/C1 controls (NUL, BEL, ESC, DEL...). Cf: format characters such as the bidi overrides
// U+202A-U+202E and U+2066-U+2069 and zero-width joiners, which could reorder or hide text.
// Cs/Co/Cn: lone surrogates, private use and unassigned code points have no glyph in the font.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]/gu;

/** Removes control, format, private-use and unassigned characters and collapses whitespace. */
export function sanitizeLabel(value: string): string {
  return value
    .replace(/[\t\n\r\v\f]+/g, ' ')
    .replace(UNSAFE, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** `text` unchanged when it fits `maxWidth`, else the longest prefix (whole code points) plus an ellipsis that fits. */
export function truncateToWidth(text: string, maxWidth: number, measure: Measure): string {
  if (measure(text) <= maxWidth) return text;
  const chars = Array.from(text);
  if (measure(ELLIPSIS) > maxWidth) return '';
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(chars.slice(0, mid).join('').trimEnd() + ELLIPSIS) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join('').trimEnd() + ELLIPSIS;
}

/**
 * Breaks `text` into lines no wider than `maxWidth`, at spaces where possible and inside a word when the
 * word alone is too wide. With `maxLines`, the last line is truncated with an ellipsis.
 */
export function wrapToWidth(
  text: string,
  maxWidth: number,
  measure: Measure,
  maxLines = Number.POSITIVE_INFINITY,
): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ').filter((w) => w.length > 0)) {
      const candidate = line ? `${line} ${word}` : word;
      if (measure(candidate) <= maxWidth) {
        line = candidate;
        continue;
      }
      if (line) lines.push(line);
      line = '';
      let rest = word;
      while (measure(rest) > maxWidth) {
        const chars = Array.from(rest);
        let take = 1;
        while (take < chars.length && measure(chars.slice(0, take + 1).join('')) <= maxWidth) take++;
        lines.push(chars.slice(0, take).join(''));
        rest = chars.slice(take).join('');
      }
      line = rest;
    }
    lines.push(line);
  }
  if (lines.length > maxLines) {
    const kept = lines.slice(0, maxLines);
    const last = kept.length - 1;
    kept[last] = truncateToWidth(`${kept[last]}${ELLIPSIS}`, maxWidth, measure);
    return kept;
  }
  return lines;
}
