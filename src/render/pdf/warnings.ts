import { WARNING_TEMPLATES, type WarningCode } from '../../core/warningText.ts';
import { fill, type ReportLanguage, wordingFor } from './templates.ts';

/** A warning read back into its code and parameters (the text of its parameters, as written). */
export interface DecodedWarning {
  code: WarningCode;
  params: Record<string, string>;
  /** The day prefix the month added ('onDay' or 'onDays'), if any. */
  days?: { code: 'onDay' | 'onDays'; params: Record<string, string> };
}

const DATE = '\\d{4}-\\d{2}-\\d{2}';
const NUMBER = '-?[0-9.e+]+';
/**
 * Parameters that are always dates or numbers: the day prefix's, and those written next to another
 * parameter with no words between ("{physical}/{advertised}", "{requested} {resource}"). Everything else is
 * any text.
 */
const PARAM_PATTERNS: Readonly<Record<string, string>> = {
  date: DATE,
  first: DATE,
  last: DATE,
  count: '\\d+',
  physical: NUMBER,
  advertised: NUMBER,
  requested: NUMBER,
};

/** Parameters that are lists of other warnings' sentences, joined with "; ". */
const LIST_PARAMS: Partial<Record<WarningCode, { param: string; item: WarningCode }>> = {
  uidSeveralPods: { param: 'bills', item: 'uidPodBill' },
  uidSeveralPodsInCluster: { param: 'bills', item: 'uidPodBill' },
};

/**
 * `template` as an anchored regular expression: its text literally, each `{name}` a capture (a repeated
 * name must repeat the same text).
 */
function patternOf(template: string, tail = false): RegExp {
  const seen = new Set<string>();
  let source = '';
  let last = 0;
  for (const match of template.matchAll(/\{(\w+)\}/g)) {
    source += escape(template.slice(last, match.index));
    const name = match[1]!;
    if (seen.has(name)) source += `\\k<${name}>`;
    else if (tail && name === 'warning') source += '(?<warning>.*)';
    else source += `(?<${name}>${PARAM_PATTERNS[name] ?? '.*?'})`;
    seen.add(name);
    last = match.index + match[0].length;
  }
  return new RegExp(`^${source}${escape(template.slice(last))}$`, 's');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const DAY_PATTERNS = (['onDays', 'onDay'] as const).map((code) => ({
  code,
  pattern: patternOf(WARNING_TEMPLATES[code], true),
}));

/** The sentences, longest literal text first: a sentence that extends another is tried before it. */
const SENTENCES = (Object.keys(WARNING_TEMPLATES) as WarningCode[])
  .filter((code) => code !== 'onDay' && code !== 'onDays')
  .map((code) => ({ code, pattern: patternOf(WARNING_TEMPLATES[code]) }))
  .sort(
    (a, b) =>
      literalLength(WARNING_TEMPLATES[b.code]) - literalLength(WARNING_TEMPLATES[a.code]) ||
      (a.code < b.code ? -1 : 1),
  );

function literalLength(template: string): number {
  return template.replace(/\{\w+\}/g, '').length;
}

function decodeSentence(text: string): Omit<DecodedWarning, 'days'> | undefined {
  for (const { code, pattern } of SENTENCES) {
    const match = pattern.exec(text);
    if (match) return { code, params: { ...match.groups } };
  }
  return undefined;
}

/**
 * Reads a warning of summary.json back into its code and parameters: the core writes every warning
 * from src/core/warningText.ts, so each line is one of its sentences, possibly behind a day prefix.
 * Undefined for a line no sentence matches (one written by an older version).
 */
export function decodeWarning(text: string): DecodedWarning | undefined {
  for (const { code, pattern } of DAY_PATTERNS) {
    const match = pattern.exec(text);
    if (!match) continue;
    const { warning = '', ...params } = match.groups ?? {};
    const inner = decodeSentence(warning);
    if (inner) return { ...inner, days: { code, params } };
  }
  return decodeSentence(text);
}

/**
 * A warning in `language`, from its code and parameters through templates/<language>.json's `warnings`.
 * In English that is the line itself (templates/en.json's sentences are the core's). A line that decodes
 * to no code (a wording this version does not know) is `warnings.unrecognized`, which points to
 * summary.json instead of printing an English sentence in another language.
 */
export function localizeWarning(text: string, language: ReportLanguage): string {
  if (language === 'en') return text;
  const wording = wordingFor(language);
  const decoded = decodeWarning(text);
  if (!decoded) return wording.warnings.unrecognized;
  const params: Record<string, string> = { ...decoded.params };
  const list = LIST_PARAMS[decoded.code];
  if (list && params[list.param] !== undefined) {
    const item = SENTENCES.find((s) => s.code === list.item)!.pattern;
    params[list.param] = params[list.param]!.split('; ')
      .map((part) => {
        const match = item.exec(part);
        return match ? fill(wording.warnings[list.item], { ...match.groups }) : part;
      })
      .join('; ');
  }
  const sentence = fill(wording.warnings[decoded.code], params);
  return decoded.days
    ? fill(wording.warnings[decoded.days.code], { ...decoded.days.params, warning: sentence })
    : sentence;
}
