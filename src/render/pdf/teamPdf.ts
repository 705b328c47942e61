import { capacityAdvice } from '../../core/advice.ts';
import { exactDecimal, formatMinorUnits, signOf } from '../../core/money.ts';
import { ownValue } from '../../core/records.ts';
import type { Summary, TeamSummary } from '../../core/types.ts';
import type { TeamFacts, TopEntry } from '../teamCsv.ts';
import { openReportDocument } from './document.ts';
import { Canvas, type Column } from './canvas.ts';
import { drawStackedColumns } from './charts.ts';
import { displayLabel, type PageContext } from './context.ts';
import { createReportFormat, ratio } from './format.ts';
import { drawTiles, type Tile } from './headlinePage.ts';
import { quotaNamespace } from './idleHeldSection.ts';
import { drawPageFrames, drawProvisionalNotice } from './pageFrame.ts';
import { buildReportModel, perDayChangePct } from './reportModel.ts';
import { fill, reportLayout, wordingFor } from './templates.ts';
import { sanitizeLabel } from './text.ts';
import type { PdfOptions } from './renderPdf.ts';

/** How many pods, projects and namespaces the one-page team report lists. */
export const TEAM_PDF_TOP = { pods: 8, projects: 5, namespaces: 5 } as const;

/**
 * One team's month on one page (teams/<team>/report.pdf): its cost and share, the change per day against
 * the previous month, its budget, GPU-hours, utilization and idle share, the daily trend, and its biggest
 * pods, projects and namespaces. Deterministic like the executive report (dates from the period).
 */
export async function renderTeamPdf(
  summary: Summary,
  previous: Summary | null,
  team: string,
  facts: TeamFacts,
  options: PdfOptions,
): Promise<Buffer> {
  const wording = wordingFor(options.language);
  const layout = reportLayout();
  const fmt = createReportFormat(
    wording.locale,
    summary.currency.code,
    summary.currency.minorDigits,
    wording.common.none,
  );
  const name = displayLabel(team, wording);
  const title =
    sanitizeLabel(options.title ?? '') ||
    (summary.source.kind === 'demo' ? wording.demoTitle : wording.defaultTitle);
  const date = new Date(Date.parse(summary.period.end) || 0);
  const { doc, finished } = await openReportDocument(layout, wording.locale, {
    Title: `${name} · ${fmt.month(summary.period.month)}`,
    Subject: wording.subject,
    Author: 'gpu-chargeback',
    Creator: 'gpu-chargeback',
    Producer: 'gpu-chargeback (pdfkit)',
    CreationDate: date,
    ModDate: date,
  });
  const canvas = new Canvas(doc, layout, wording, fmt);
  const ctx: PageContext = {
    canvas,
    summary,
    model: buildReportModel(summary, previous, capacityAdvice(summary, options.baselinePercentile)),
    language: options.language,
    wording,
    fmt,
    layout,
    title,
    baselinePercentile: options.baselinePercentile,
  };
  canvas.newPage();
  drawTeamPage(ctx, team, facts, previous);
  drawPageFrames(ctx);
  doc.end();
  return finished;
}

function drawTeamPage(ctx: PageContext, team: string, facts: TeamFacts, previous: Summary | null): void {
  const { canvas, summary, wording, fmt, layout } = ctx;
  const w = wording.teamPack;
  const name = displayLabel(team, wording);
  const month = fmt.month(summary.period.month);
  const entry = summary.byTeam.find((t) => t.key === team);
  const cost = formatMinorUnits(facts.totalUnits, summary.currency.minorDigits);
  canvas.pageTitle(
    fill(w.pageTitle, { team: name, month }),
    fill(w.subtitle, { zone: summary.period.zone, days: fmt.number(summary.period.days) }),
  );
  const before = previous?.byTeam.find((t) => t.key === team) ?? null;
  const changePct =
    before && previous ? perDayChangePct(cost, summary.period.days, before.cost, previous.period.days) : null;
  drawProvisionalNotice(ctx);
  canvas.paragraph(sentences(ctx, name, cost, entry, previous, before, changePct), { size: 10, gapAfter: 8 });
  drawTiles(canvas, tiles(ctx, cost, facts, entry, previous, changePct), ctx);

  canvas.heading(w.trend, undefined, 130);
  canvas.y += drawStackedColumns(
    canvas,
    summary.byDay.map((d) => String(Number(d.date.slice(8, 10)))),
    [
      {
        name: w.trendSeries,
        color: layout.colors.series[0]!,
        values: summary.byDay.map((d) => Number(ownValue(d.byTeam, team) ?? 0)),
      },
    ],
    {
      x: canvas.left,
      y: canvas.y,
      width: canvas.width,
      height: 100,
      formatTick: (v) => fmt.moneyCompact(v),
      emptyText: wording.common.noData,
    },
  );
  canvas.y += 6;
  const small = layout.fontSize.small;
  const linesOf = (text: string) => canvas.wrap(text, canvas.width, { size: small }).length;
  // The idle-held line always stays (the operating standard asks for it): its room is kept before the
  // top tables take theirs, so a busy team's tables give up a row rather than the line.
  const idle = idleHeldSentence(ctx, team);
  const paragraphHeight = (text: string) => (text === '' ? 0 : linesOf(text) * canvas.lineHeight(small) + 4);
  const footnoteHeight = linesOf(w.footnote) * canvas.lineHeight(small);
  const rows = topRowsThatFit(ctx, facts, canvas.remaining - footnoteHeight - paragraphHeight(idle));
  topTable(ctx, w.topPods, facts.pods.slice(0, rows.pods), facts.totalUnits);
  topTable(ctx, w.topProjects, facts.projects.slice(0, rows.projects), facts.totalUnits);
  topTable(ctx, w.topNamespaces, facts.namespaces.slice(0, rows.namespaces), facts.totalUnits);
  // Quota use joins it only when it fits above the footnote: the team's month stays one page.
  const withQuotas = [idle, ...quotaSentences(ctx, facts)].filter((p) => p !== '').join(' ');
  const extra = paragraphHeight(withQuotas) + footnoteHeight <= canvas.remaining ? withQuotas : idle;
  if (extra !== '') canvas.paragraph(extra, { size: small });
  canvas.paragraph(w.footnote, { size: layout.fontSize.small, gapAfter: 0 });
}

/** The team's GPU time held while idle (summary.json `idleHeld.byTeam`); '' when it held none. */
function idleHeldSentence(ctx: PageContext, team: string): string {
  const { summary, wording, fmt } = ctx;
  const idle = summary.idleHeld?.byTeam.find((t) => t.team === team);
  if (!idle || idle.pods === 0) return '';
  return fill(wording.teamPack.idleHeld, {
    gpuHours: fmt.number(idle.gpuHours, 1),
    cost: fmt.money(idle.cost),
    pods: fmt.number(idle.pods),
  });
}

/** The GPU quota use of the team's namespaces (`gpuQuotas` of the namespaces it ran in), one sentence each. */
function quotaSentences(ctx: PageContext, facts: TeamFacts): string[] {
  const { summary, wording, fmt } = ctx;
  const w = wording.teamPack;
  const parts: string[] = [];
  const namespaces = new Set(facts.namespaces.map((n) => n.key));
  for (const q of summary.gpuQuotas ?? []) {
    const key = q.cluster === '' ? q.namespace : `${q.cluster}/${q.namespace}`;
    if (!namespaces.has(key) && !namespaces.has(q.namespace)) continue;
    parts.push(
      fill(q.hard === null ? w.quotaNoHard : w.quota, {
        namespace: displayLabel(quotaNamespace(summary, q), wording),
        resource: displayLabel(q.resource, wording),
        peak: fmt.number(q.peakUsed),
        hard: fmt.number(q.hard),
        pct: fmt.percent(q.peakUsedPct),
        average: fmt.number(q.averageUsed, 1),
      }),
    );
  }
  return parts;
}

function sentences(
  ctx: PageContext,
  name: string,
  cost: string,
  entry: TeamSummary | undefined,
  previous: Summary | null,
  before: TeamSummary | null,
  changePct: number | null,
): string {
  const { summary, wording, fmt } = ctx;
  const w = wording.teamPack;
  const total = Number(summary.totals.cost);
  const parts = [
    fill(w.sentence, {
      team: name,
      cost: fmt.money(cost),
      month: fmt.month(summary.period.month),
      share: fmt.percent(ratio(Number(cost) * 100, total)),
    }),
  ];
  if (previous) {
    const values = {
      previousMonth: fmt.month(previous.period.month),
      previousCost: before ? fmt.money(before.cost) : '',
      pct: fmt.percent(changePct === null ? null : Math.abs(changePct)),
    };
    const sign = changePct === null ? 0 : Math.sign(Math.round(changePct * 10));
    parts.push(
      fill(
        before === null
          ? w.sentenceNew
          : sign === 0
            ? w.sentenceFlat
            : sign > 0
              ? w.sentenceUp
              : w.sentenceDown,
        values,
      ),
    );
  }
  if (entry?.budget != null && entry.variance !== null) {
    const over = signOf(exactDecimal(entry.variance)) > 0;
    const amount = entry.variance.replace(/^-/, '');
    parts.push(
      fill(over ? w.sentenceOver : w.sentenceUnder, {
        amount: fmt.money(amount),
        budget: fmt.money(entry.budget),
      }),
    );
  }
  return parts.join(' ');
}

function tiles(
  ctx: PageContext,
  cost: string,
  facts: TeamFacts,
  entry: TeamSummary | undefined,
  previous: Summary | null,
  changePct: number | null,
): Tile[] {
  const { wording, fmt, layout } = ctx;
  const k = wording.teamPack.kpi;
  const colorOf = (sign: number) =>
    sign > 0 ? layout.colors.negative : sign < 0 ? layout.colors.positive : undefined;
  return [
    {
      label: k.cost,
      value: fmt.money(cost),
      details: [fill(k.costDetail, { rows: fmt.number(facts.rowCount) })],
    },
    {
      label: previous
        ? fill(k.change, { previousMonth: fmt.shortMonth(previous.period.month) })
        : k.changeNone,
      value: changePct === null ? wording.common.none : fmt.signedPercent(changePct),
      details: [],
      color: changePct === null ? undefined : colorOf(Math.sign(Math.round(changePct * 10))),
    },
    entry?.budget != null && entry.variance !== null
      ? {
          label: k.budget,
          value: fmt.signedMoney(entry.variance),
          details: [fill(k.budgetDetail, { budget: fmt.moneyWhole(entry.budget) })],
          color: colorOf(signOf(exactDecimal(entry.variance))),
        }
      : { label: k.budget, value: k.noBudget, details: [] },
    { label: k.gpuHours, value: fmt.number(entry?.gpuHours ?? 0), details: [] },
    {
      label: k.utilization,
      value: fmt.percent(entry?.utilizationPct ?? null),
      details: [k.utilizationDetail],
    },
    { label: k.idleShare, value: fmt.percent(entry?.idleSharePct ?? null), details: [k.idleShareDetail] },
  ];
}

/**
 * How many rows of each top table (at most TEAM_PDF_TOP's) fit in `room` points, so that the team's month
 * stays on one page: while they do not fit, the table listing the most rows gives one up (pods first on
 * a tie), down to one row each. Every table keeps its biggest entries; costs.csv has them all.
 */
function topRowsThatFit(
  ctx: PageContext,
  facts: TeamFacts,
  room: number,
): { pods: number; projects: number; namespaces: number } {
  const { canvas, wording } = ctx;
  const w = wording.teamPack;
  const columns = topColumns(ctx);
  const rows = {
    pods: Math.min(facts.pods.length, TEAM_PDF_TOP.pods),
    projects: Math.min(facts.projects.length, TEAM_PDF_TOP.projects),
    namespaces: Math.min(facts.namespaces.length, TEAM_PDF_TOP.namespaces),
  };
  const height = () =>
    canvas.tableHeight(w.topPods, columns, rows.pods) +
    canvas.tableHeight(w.topProjects, columns, rows.projects) +
    canvas.tableHeight(w.topNamespaces, columns, rows.namespaces);
  while (height() > room) {
    const most = (['pods', 'projects', 'namespaces'] as const).reduce((a, b) => (rows[b] > rows[a] ? b : a));
    if (rows[most] <= 1) break;
    rows[most] -= 1;
  }
  return rows;
}

/** The columns of a top table. */
function topColumns(ctx: PageContext): Column[] {
  const c = ctx.wording.teamPack.columns;
  return [
    { header: c.name, width: 300 },
    { header: c.gpuHours, width: 70, align: 'right' },
    { header: c.cost, width: 90, align: 'right' },
    { header: c.share, width: 55, align: 'right' },
  ];
}

function topTable(ctx: PageContext, title: string, entries: readonly TopEntry[], totalUnits: number): void {
  const { canvas, wording, fmt, summary } = ctx;
  const digits = summary.currency.minorDigits;
  canvas.table(
    title,
    topColumns(ctx),
    entries.map((e) => ({
      cells: [
        displayLabel(e.key, wording),
        fmt.number(e.gpuHours),
        fmt.money(formatMinorUnits(e.units, digits)),
        fmt.percent(ratio(e.units * 100, totalUnits)),
      ],
    })),
  );
}
