/**
 * Faster text shaping for the report PDFs, with the same result: fontkit (the shaper pdfkit uses) tries
 * every lookup of a font's features at every glyph, and Noto Sans KR's glyph composition (ccmp) is a
 * chaining lookup of 268 subtables. skipInertCcmp makes a parsed font skip that feature for a text where
 * no lookup up to it can apply (document.ts applies it to the fonts the report documents share).
 */

/** The parts of a fontkit font (fontkit 2, the parsed font pdfkit holds) that skipInertCcmp reads. */
export interface ShapingFont {
  layout(text: string, features?: unknown, ...rest: unknown[]): unknown;
  glyphForCodePoint(codePoint: number): { id: number };
  GSUB?: {
    featureList?: readonly { tag: string; feature?: { lookupListIndexes?: readonly number[] } }[];
    lookupList?: { get(index: number): OpenTypeLookup | undefined };
  };
}

interface OpenTypeLookup {
  lookupType: number;
  subTables: readonly Record<string, unknown>[];
}

const ccmpSkipped = new WeakSet<object>();

/**
 * Makes the font lay out a text with its "ccmp" feature (glyph composition) turned off when that cannot
 * change the layout, which is then the same glyph for glyph and position for position, and much faster:
 * Noto Sans KR's ccmp holds a chaining lookup of 268 subtables that fontkit tries at every glyph, most of
 * the report PDFs' CPU (issue #18). fontkit 2 shapes such a text (Latin and common characters: its default
 * shaper) in one stage, applying the plan's lookups in the order of their indexes, each first testing the
 * current glyph against its subtables' first coverage (OTProcessor, GSUBProcessor). So when none of the
 * text's glyphs is in the first coverage of any lookup up to ccmp's last one, none of those lookups
 * changes a glyph, ccmp's included: removing ccmp changes nothing. Any other text (Hangul, a combining mark,
 * a glyph some early lookup starts on), and every text of a font whose tables are not as read here, is
 * laid out as before.
 */
export function skipInertCcmp(font: ShapingFont): void {
  if (ccmpSkipped.has(font)) return;
  ccmpSkipped.add(font);
  const starts = lookupStartsUpToCcmp(font);
  if (!starts) return;
  const layout = font.layout;
  // Per code point: its glyph, or -1 when a text holding it must be laid out with ccmp.
  const glyphOf = new Map<number, number>();
  const glyphs: number[] = [];
  const inert = (text: string): boolean => {
    glyphs.length = 0;
    for (const ch of text) {
      const codePoint = ch.codePointAt(0)!;
      let glyph = glyphOf.get(codePoint);
      if (glyph === undefined) {
        glyph = defaultShaperCharacter(codePoint) ? font.glyphForCodePoint(codePoint).id : -1;
        if (starts.always.has(glyph)) glyph = -1;
        glyphOf.set(codePoint, glyph);
      }
      if (glyph < 0) return false;
      glyphs.push(glyph);
    }
    return !starts.ligatureAt(glyphs);
  };
  font.layout = function (this: ShapingFont, text: string, features?: unknown, ...rest: unknown[]) {
    // A new object each time: fontkit writes the features it applies into the one it is given.
    if (features === undefined && rest.length === 0 && inert(text))
      return layout.call(this, text, { ccmp: false });
    return layout.call(this, text, features, ...rest);
  };
}

/**
 * Characters of the Latin and common scripts that fontkit shapes with its default shaper (one stage):
 * printable ASCII, Latin-1, general punctuation but the fraction slash (which brings its own features),
 * and currency signs.
 */
function defaultShaperCharacter(c: number): boolean {
  return (
    (c >= 0x20 && c <= 0x7e) ||
    (c >= 0xa0 && c <= 0xff) ||
    (c >= 0x2000 && c <= 0x206f && c !== 0x2044) ||
    (c >= 0x20a0 && c <= 0x20cf)
  );
}

/**
 * Every feature fontkit 2's default shaper can apply to a left-to-right text (DefaultShaper: variation,
 * directional, fractional, common and horizontal features), and so every feature whose lookups can run
 * before or with ccmp's.
 */
const DEFAULT_SHAPER_FEATURES = new Set([
  'rvrn',
  'ltra',
  'ltrm',
  'frac',
  'numr',
  'dnom',
  'ccmp',
  'locl',
  'rlig',
  'mark',
  'mkmk',
  'calt',
  'clig',
  'liga',
  'rclt',
  'curs',
  'kern',
]);

/** What the lookups up to ccmp's last one can start on (lookupStartsUpToCcmp). */
interface LookupStarts {
  /** Glyphs some such lookup may apply to wherever they are. */
  always: Set<number>;
  /** Whether a ligature of such a lookup (one that skips no glyph) matches somewhere in `glyphs`. */
  ligatureAt(glyphs: readonly number[]): boolean;
}

/**
 * What the GSUB lookups of the default shaper's features, up to the font's last ccmp lookup (by index),
 * can start on: a ligature lookup that skips no glyph (lookup flags 0) applies only where a glyph it covers
 * is followed by one of its ligatures' other components, as fontkit matches them (GSUBProcessor, lookup
 * type 4); any other lookup may apply to any glyph of its first coverage. Undefined when the font has no
 * ccmp (nothing to gain) or its tables are not as expected.
 */
export function lookupStartsUpToCcmp(font: ShapingFont): LookupStarts | undefined {
  const gsub = font.GSUB;
  const features = gsub?.featureList?.filter((f) => DEFAULT_SHAPER_FEATURES.has(f.tag)) ?? [];
  if (!gsub?.lookupList || !features.some((f) => f.tag === 'ccmp')) return undefined;
  const indexes = new Set<number>();
  let last = -1;
  for (const feature of features) {
    const own = feature.feature?.lookupListIndexes;
    if (!Array.isArray(own)) return undefined;
    for (const index of own) {
      indexes.add(index);
      if (feature.tag === 'ccmp') last = Math.max(last, index);
    }
  }
  const always = new Set<number>();
  // First glyph of a ligature -> the other components of each of its ligatures.
  const ligatures = new Map<number, number[][]>();
  for (const index of indexes) {
    if (index > last) continue;
    const lookup = gsub.lookupList.get(index);
    if (!lookup || !Array.isArray(lookup.subTables)) return undefined;
    for (const table of lookup.subTables) {
      // Extension subtables (type 7) hold the real one.
      const type = lookup.lookupType === 7 ? (table.lookupType as number) : lookup.lookupType;
      const real = lookup.lookupType === 7 ? (table.extension as Record<string, unknown> | undefined) : table;
      const covered = real && coverageGlyphs(firstCoverage(real));
      if (!covered) return undefined;
      const sets =
        type === 4 && skipsNoGlyph(lookup) ? ligatureSetsOf(real.ligatureSets, covered.length) : undefined;
      covered.forEach((glyph: number, i: number) => {
        if (!sets) always.add(glyph);
        else {
          let own = ligatures.get(glyph);
          if (!own) ligatures.set(glyph, (own = []));
          own.push(...sets[i]!);
        }
      });
    }
  }
  return {
    always,
    ligatureAt: (glyphs) =>
      glyphs.some((glyph, i) =>
        ligatures.get(glyph)?.some((rest) => rest.every((component, j) => glyphs[i + 1 + j] === component)),
      ),
  };
}

/** Whether a lookup's flags make fontkit skip no glyph when it matches a sequence (all of them false). */
function skipsNoGlyph(lookup: OpenTypeLookup): boolean {
  const flags = (lookup as { flags?: { flags?: Record<string, unknown>; markAttachmentType?: unknown } })
    .flags;
  return (
    flags !== undefined &&
    flags.markAttachmentType === 0 &&
    flags.flags !== undefined &&
    Object.values(flags.flags).every((flag) => flag === false)
  );
}

/** A ligature subtable's sets (one per covered glyph) as lists of the other components, or undefined. */
function ligatureSetsOf(sets: unknown, count: number): number[][][] | undefined {
  const at = (i: number): unknown =>
    Array.isArray(sets) ? sets[i] : (sets as { get?: (i: number) => unknown } | undefined)?.get?.(i);
  const out: number[][][] = [];
  for (let i = 0; i < count; i++) {
    const set = at(i);
    if (!Array.isArray(set)) return undefined;
    const ligatures: number[][] = [];
    for (const ligature of set as { components?: unknown }[]) {
      if (!Array.isArray(ligature.components)) return undefined;
      ligatures.push(ligature.components as number[]);
    }
    out.push(ligatures);
  }
  return out;
}

/** The coverage a GSUB subtable tests the current glyph against first (every lookup type has one). */
function firstCoverage(table: Record<string, unknown>): unknown {
  // Chaining context format 3: inputCoverage[]; context format 3: coverages[]; every other: coverage.
  if (Array.isArray(table.inputCoverage)) return table.inputCoverage[0];
  if (Array.isArray(table.coverages)) return table.coverages[0];
  return table.coverage;
}

/** An OpenType coverage table's glyphs in coverage order (format 1: a list, format 2: ranges), or undefined. */
function coverageGlyphs(coverage: unknown): number[] | undefined {
  const c = coverage as { glyphs?: readonly number[]; rangeRecords?: readonly unknown[] } | undefined;
  if (Array.isArray(c?.glyphs)) return [...c.glyphs];
  if (Array.isArray(c?.rangeRecords)) {
    // The ranges in order, each starting at the coverage index after the previous one's (as OpenType
    // requires); a table that says otherwise is not read.
    const out: number[] = [];
    for (const r of c.rangeRecords as readonly {
      start: number;
      end: number;
      startCoverageIndex?: number;
    }[]) {
      if (r.startCoverageIndex !== undefined && r.startCoverageIndex !== out.length) return undefined;
      for (let g = r.start; g <= r.end; g++) out.push(g);
    }
    return out;
  }
  return undefined;
}
