import type { Summary } from '../../core/types.ts';
import type { Canvas } from './canvas.ts';
import type { ReportFormat } from './format.ts';
import type { ReportModel } from './reportModel.ts';
import type { Layout, ReportLanguage, Wording } from './templates.ts';
import { sanitizeLabel } from './text.ts';

/** Everything a page renderer needs. */
export interface PageContext {
  canvas: Canvas;
  summary: Summary;
  model: ReportModel;
  /** The report's language (its wording is `wording`). */
  language: ReportLanguage;
  wording: Wording;
  fmt: ReportFormat;
  layout: Layout;
  /** The report title (sanitized). */
  title: string;
  baselinePercentile: number;
}

/** A label value (team, project, namespace) made safe to print, or the "(unnamed)" mark when nothing is left. */
export function displayLabel(value: string, wording: Wording): string {
  return sanitizeLabel(value) || wording.common.unnamed;
}
