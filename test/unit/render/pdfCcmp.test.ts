/**
 * The report fonts lay out a text without their ccmp feature only where it cannot change anything
 * (shaping.ts skipInertCcmp): the same glyphs and positions as fontkit's full layout, for every text the
 * reports draw and for the texts built to need ccmp.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { lookupStartsUpToCcmp, type ShapingFont, skipInertCcmp } from '../../../src/render/pdf/shaping.ts';
import { reportLayout } from '../../../src/render/pdf/templates.ts';

const require = createRequire(import.meta.url);
// fontkit as pdfkit loads it (a dependency of pdfkit's, not of this package).
const fontkit = createRequire(require.resolve('pdfkit'))('fontkit') as { create(bytes: Buffer): ShapingFont };
const open = (path: string) => fontkit.create(readFileSync(path));
const fonts = Object.entries(reportLayout().fonts).map(
  ([name, font]) => [name, require.resolve(font)] as const,
);

interface Run {
  glyphs: { id: number }[];
  positions: { xAdvance: number; yAdvance: number; xOffset: number; yOffset: number }[];
  advanceWidth: number;
}
const shape = (font: ShapingFont, text: string) => {
  const run = font.layout(text) as Run;
  return {
    glyphs: run.glyphs.map((g) => g.id),
    positions: run.positions.map((p) => [p.xAdvance, p.yAdvance, p.xOffset, p.yOffset]),
    advanceWidth: run.advanceWidth,
  };
};

/** Texts the reports draw (both languages' wording, amounts, names) and texts built to need ccmp. */
function corpus(): string[] {
  const texts = new Set<string>();
  for (const language of ['en', 'ko']) {
    const wording = readFileSync(new URL(`../../../templates/${language}.json`, import.meta.url), 'utf8');
    for (const value of wording.match(/"(?:[^"\\]|\\.)*"/g) ?? []) {
      const text = JSON.parse(value) as string;
      texts.add(text);
      for (const word of text.split(/\s+/)) texts.add(word);
    }
  }
  for (let i = 0; i < 500; i++)
    texts.add(((i * 7919.37) % 1e6).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ','));
  for (let a = 0x20; a < 0x7f; a++) for (let b = 0x20; b < 0x7f; b++) texts.add(String.fromCharCode(a, b));
  for (let a = 0xa0; a <= 0xff; a++) texts.add(`${String.fromCharCode(a)}M${String.fromCharCode(a)}m`);
  // Combining marks after letters (ccmp composes some), decomposed Hangul, fractions, currency, dashes.
  for (const mark of [0x300, 0x301, 0x302, 0x303, 0x308, 0x323, 0x327, 0x331])
    for (const base of ['M', 'm', 'e', 'i', 'A', 'n']) texts.add(base + String.fromCharCode(mark));
  for (const text of [
    '\u1100\u1161\u11a8',
    '1\u20442',
    '½ ₩1,234 €5 — … “team-001” ‘ns’',
    'office ffi fl',
    'GPU 비용',
  ])
    texts.add(text);
  return [...texts];
}

describe.each(fonts)('the %s report font', (_name, path) => {
  it('lays out every text as fontkit does with every feature', () => {
    const full = open(path);
    const fast = open(path);
    skipInertCcmp(fast);
    const texts = corpus();
    expect(texts.length).toBeGreaterThan(9000);
    const differ = texts.filter((t) => JSON.stringify(shape(fast, t)) !== JSON.stringify(shape(full, t)));
    expect(differ).toEqual([]);
  });

  it('skips ccmp for amounts and plain words, and keeps it where a lookup could start', () => {
    const font = open(path);
    const asked: unknown[] = [];
    const layout = font.layout;
    font.layout = function (this: ShapingFont, text: string, features?: unknown) {
      asked.push(features === undefined ? 'all' : JSON.stringify(features));
      return layout.call(this, text, features);
    };
    skipInertCcmp(font);
    for (const text of ['1,234.56', 'Team', 'platform-team', 'e\u0301', 'M\u0323', '비용', '1\u20442'])
      font.layout(text);
    expect(asked).toEqual(['{"ccmp":false}', '{"ccmp":false}', '{"ccmp":false}', 'all', 'all', 'all', 'all']);
  });

  it('finds that a ligature starting on M needs the mark that follows it', () => {
    const font = open(path);
    const starts = lookupStartsUpToCcmp(font)!;
    const M = font.glyphForCodePoint(0x4d).id;
    expect(starts.always.has(M)).toBe(false);
    expect(starts.ligatureAt([M, M])).toBe(false);
    // Noto Sans KR's ccmp joins M (and m) with a combining mark into one glyph (its first ligature lookup).
    const withMark = [0x300, 0x301, 0x307, 0x323, 0x331].some((mark) =>
      starts.ligatureAt([M, font.glyphForCodePoint(mark).id]),
    );
    expect(withMark).toBe(true);
  });
});

describe('a font whose tables are not as expected', () => {
  it('is left to lay out every text as before', () => {
    const layout = () => ({ glyphs: [], positions: [], advanceWidth: 0 });
    const font: ShapingFont = { layout, glyphForCodePoint: () => ({ id: 1 }) };
    skipInertCcmp(font);
    expect(font.layout).toBe(layout);
    const odd: ShapingFont = {
      layout,
      glyphForCodePoint: () => ({ id: 1 }),
      GSUB: {
        featureList: [{ tag: 'ccmp', feature: { lookupListIndexes: [0] } }],
        lookupList: { get: () => ({ lookupType: 6, subTables: [{ inputCoverage: [{ version: 3 }] }] }) },
      },
    };
    skipInertCcmp(odd);
    expect(odd.layout).toBe(layout);
  });
});
