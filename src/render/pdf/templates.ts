import { createRequire } from 'node:module';
import en from '../../../templates/en.json' with { type: 'json' };
import ko from '../../../templates/ko.json' with { type: 'json' };
import layout from '../../../templates/layout.json' with { type: 'json' };

/** All report wording of one language; ko.json must have exactly the shape of en.json. */
export type Wording = typeof en;
/** Page geometry, font references, colors and list limits (templates/layout.json). */
export type Layout = typeof layout;
export type ReportLanguage = 'en' | 'ko';

const WORDINGS: Record<ReportLanguage, Wording> = { en, ko };

/** The wording of `language`. */
export function wordingFor(language: ReportLanguage): Wording {
  return WORDINGS[language];
}

/** The layout constants shared by both languages. */
export function reportLayout(): Layout {
  return layout;
}

/**
 * Absolute paths of the regular and bold fonts named in templates/layout.json. Noto Sans KR covers
 * Latin and Hangul, so both languages share one code path; pdfkit embeds only the glyphs used.
 */
export function resolveFontPaths(): { regular: string; bold: string } {
  const require = createRequire(import.meta.url);
  return { regular: require.resolve(layout.fonts.regular), bold: require.resolve(layout.fonts.bold) };
}

/** The one `{name}` placeholder filler (src/core/fill.ts), shared with the core's warnings. */
export { fill } from '../../core/fill.ts';
