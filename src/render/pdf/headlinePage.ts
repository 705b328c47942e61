import { absRatio, exactDecimal, ratioToDisplayNumber, signOf } from '../../core/money.ts';
import { drawHorizontalBars } from './charts.ts';
import { displayLabel, type PageContext } from './context.ts';
import { ratio } from './format.ts';
import { drawProvisionalNotice } from './pageFrame.ts';
import { topWithOther } from './reportModel.ts';
import { fill } from './templates.ts';

/** A key figure: label, value and up to two lines of detail. */
export interface Tile {
  label: string;
  value: string;
  details: string[];
  /** Color of the value (e.g. red when over budget). */
  color?: string;
}

/** Page 1: the headline sentence, nine key figures, cost by team and the top projects. */
export function drawHeadlinePage(ctx: PageContext): void {
  const { canvas, summary, wording, fmt, layout } = ctx;
  const w = wording.headline;
  const month = fmt.month(summary.period.month);

  canvas.pageTitle(
    fill(w.pageTitle, { title: ctx.title, month }),
    fill(w.subtitle, {
      section: w.title,
      zone: summary.period.zone,
      days: fmt.number(summary.period.days),
      hours: fmt.number(summary.period.hours),
    }),
  );

  drawProvisionalNotice(ctx);
  canvas.paragraph(headlineSentence(ctx, month), { size: 10, gapAfter: 10 });
  drawTiles(canvas, tiles(ctx, month), ctx);

  // Cost by team: top N and "other".
  const grouped = topWithOther(
    summary.byTeam.map((t) => ({ key: t.key, value: Number(t.cost) })),
    layout.limits.chartTeams,
  );
  const total = Number(summary.totals.cost);
  canvas.heading(
    w.teamChart,
    summary.byTeam.length > layout.limits.chartTeams + 1
      ? fill(w.teamChartNote, { count: layout.limits.chartTeams })
      : undefined,
  );
  if (grouped.length === 0) {
    canvas.text(wording.common.noData, canvas.left, canvas.y, {
      size: layout.fontSize.body,
      color: layout.colors.muted,
      width: canvas.width,
    });
    canvas.y += canvas.lineHeight(layout.fontSize.body) + 8;
  } else {
    const items = grouped.map((g, i) => ({
      label: g.isOther ? fill(wording.common.other, { count: g.count }) : displayLabel(g.key, wording),
      value: g.value,
      valueText: `${fmt.moneyWhole(g.value)} · ${fmt.percent(ratio(g.value * 100, total))}`,
      color: g.isOther ? layout.colors.other : layout.colors.series[0]!,
      index: i,
    }));
    canvas.y += drawHorizontalBars(canvas, items, {
      x: canvas.left,
      y: canvas.y + 2,
      width: canvas.width,
      labelWidth: 170,
      valueWidth: 110,
      barHeight: 11,
      gap: 5,
    });
    canvas.y += 10;
  }

  // Top projects, as many as fit on the page (at most limits.topProjects).
  const c = w.projectColumns;
  const rowsThatFit = Math.floor((canvas.remaining - 50) / layout.table.rowHeight);
  const projects = summary.byProject.slice(0, Math.max(3, Math.min(layout.limits.topProjects, rowsThatFit)));
  canvas.table(
    w.topProjects,
    [
      { header: c.project, width: 150 },
      { header: c.team, width: 120 },
      { header: c.gpuHours, width: 62, align: 'right' },
      { header: c.utilization, width: 55, align: 'right' },
      { header: c.cost, width: 74, align: 'right' },
      { header: c.share, width: 50, align: 'right' },
    ],
    projects.map((p) => ({
      cells: [
        // Pods always have a project (a default bucket at worst); only idle and unused capacity rows
        // charged to the platform team have none.
        p.key === '' ? wording.common.idleCapacity : displayLabel(p.key, wording),
        displayLabel(p.team, wording),
        fmt.number(p.gpuHours),
        fmt.percent(p.utilizationPct),
        fmt.money(p.cost),
        fmt.percent(ratio(Number(p.cost) * 100, total)),
      ],
    })),
  );
}

function headlineSentence(ctx: PageContext, month: string): string {
  const { summary, model, wording, fmt } = ctx;
  const w = wording.headline;
  const parts = [fill(w.sentenceTotal, { month, total: fmt.money(summary.totals.cost) })];
  const prev = model.previous;
  if (!prev) parts.push(w.sentenceNoPrevious);
  else {
    const change = exactDecimal(prev.change);
    const values = {
      previousMonth: fmt.month(prev.month),
      pct: fmt.percent(prev.changePct === null ? null : Math.abs(prev.changePct)),
      amount: fmt.money(absRatio(change)),
      days: fmt.number(summary.period.days),
      previousDays: fmt.number(prev.days),
    };
    // The direction is the per-day change's: a flat month with one more day is "unchanged", not "up".
    const sign = prev.changePct === null ? signOf(change) : perDaySign(prev.changePct);
    parts.push(fill(sign === 0 ? w.sentenceFlat : sign > 0 ? w.sentenceUp : w.sentenceDown, values));
  }
  const budget = model.budget;
  if (budget.budget === null || budget.variance === null) parts.push(w.sentenceNoBudget);
  else {
    const variance = exactDecimal(budget.variance);
    parts.push(
      fill(signOf(variance) > 0 ? w.sentenceOverBudget : w.sentenceUnderBudget, {
        amount: fmt.money(absRatio(variance)),
        pct: fmt.percent(ratio(ratioToDisplayNumber(absRatio(variance)) * 100, Number(budget.budget))),
        budget: fmt.money(budget.budget),
        unbudgeted: fmt.money(budget.unbudgetedCost ?? '0'),
      }),
    );
  }
  if (model.idleSharePct !== null) {
    parts.push(
      fill(w.sentenceIdle, {
        idle: fmt.money(summary.totals.idleCost),
        pct: fmt.percent(model.idleSharePct),
      }),
    );
  }
  return parts.join(' ');
}

/** The sign of a per-day change as printed (one decimal): a change that prints as 0.0 % is flat. */
function perDaySign(changePct: number): number {
  return Math.sign(Math.round(changePct * 10)) + 0;
}

function tiles(ctx: PageContext, month: string): Tile[] {
  const { summary, model, wording, fmt, layout } = ctx;
  const k = wording.headline.kpi;
  const t = summary.totals;
  const prev = model.previous;
  const budget = model.budget;
  const changeColor = (value: string | null) => {
    if (value === null) return undefined;
    const sign = signOf(exactDecimal(value));
    return sign === 0 ? undefined : sign > 0 ? layout.colors.negative : layout.colors.positive;
  };
  return [
    {
      label: k.total,
      value: fmt.money(t.cost),
      details: [
        fill(k.totalDetail, {
          teams: fmt.number(summary.byTeam.length),
          projects: fmt.number(summary.byProject.length),
        }),
        fill(k.totalDetailList, { list: fmt.moneyWhole(t.listCost) }),
      ],
    },
    prev
      ? {
          label: k.vsPrevious,
          value: fmt.signedPercent(prev.changePct),
          details: [
            fill(k.vsPreviousDetail, {
              amount: fmt.signedMoney(prev.change),
              previousMonth: fmt.month(prev.month),
              previousTotal: fmt.moneyWhole(prev.total),
            }),
          ],
          color: changeColor(String(perDaySign(prev.changePct ?? 0))),
        }
      : { label: k.vsPrevious, value: k.noPrevious, details: [k.noPreviousDetail] },
    budget.budget !== null && budget.variance !== null
      ? {
          label: k.vsBudget,
          value: fmt.signedMoney(budget.variance),
          details: [
            fill(k.vsBudgetDetail, {
              budget: fmt.moneyWhole(budget.budget),
              used: fmt.percent(budget.usedPct),
            }),
            fill(k.vsBudgetTeamsOver, {
              count: fmt.number(budget.teamsOver),
              teams: fmt.number(budget.budgetedTeams),
              unbudgeted: fmt.moneyWhole(budget.unbudgetedCost ?? '0'),
            }),
          ],
          color: changeColor(budget.variance),
        }
      : { label: k.vsBudget, value: k.noBudget, details: [k.noBudgetDetail] },
    {
      label: k.allocated,
      value: fmt.number(t.allocatedGpuHours),
      details: [fill(k.allocatedDetail, { capacity: fmt.number(t.capacityGpuHours) })],
    },
    {
      label: k.costPerGpuHour,
      value: t.allocatedGpuHours > 0 ? fmt.unitPrice(t.blendedCostPerGpuHour) : wording.common.none,
      details: [
        fill(k.costPerGpuHourDetail, { rate: fmt.unitPrice(t.onDemandCostPerGpuHour) }),
        ...(model.blendedVsOnDemandPct === null || model.blendedVsOnDemandPct === 0
          ? []
          : [
              fill(model.blendedVsOnDemandPct < 0 ? k.costPerGpuHourSaving : k.costPerGpuHourAbove, {
                pct: fmt.percent(Math.abs(model.blendedVsOnDemandPct)),
              }),
            ]),
      ],
    },
    {
      label: k.spotShare,
      // Spot's share of the money; its share of the GPU capacity is a different figure, labelled as such.
      value: fmt.percent(t.spotSpendSharePct),
      details: [
        fill(k.spotShareDetail, { savings: fmt.money(t.spotSavings) }),
        fill(k.spotCapacityDetail, { pct: fmt.percent(t.spotSharePct) }),
      ],
    },
    {
      label: k.allocationRate,
      value: fmt.percent(t.allocationRatePct),
      details: [
        k.allocationRateDetail,
        t.utilizationPct === null
          ? k.utilizationUnknown
          : fill(k.utilizationDetail, { util: fmt.percent(t.utilizationPct) }),
      ],
    },
    {
      label: k.idle,
      value: fmt.money(t.idleCost),
      details: [
        ...(model.idleSharePct === null
          ? []
          : [fill(k.idleDetail, { pct: fmt.percent(model.idleSharePct) })]),
        fill(k.idleHoursDetail, { hours: fmt.number(t.idleGpuHours) }),
      ],
    },
    {
      label: k.coverage,
      value: fmt.percent(t.coveragePct),
      details: [
        model.gapCount === 0
          ? k.coverageNoGaps
          : fill(k.coverageGaps, { count: fmt.number(model.gapCount), hours: fmt.number(model.gapHours, 1) }),
      ],
      color: t.coveragePct < 99 ? layout.colors.negative : undefined,
    },
  ].map((tile) => ({ ...tile, label: tile.label.replace('{month}', month) }));
}

/** Key figures in a grid of layout.kpi.columns columns. */
export function drawTiles(
  canvas: PageContext['canvas'],
  list: Tile[],
  ctx: Pick<PageContext, 'layout'>,
): void {
  const { layout } = ctx;
  const { columns, height, gap } = layout.kpi;
  const width = (canvas.width - gap * (columns - 1)) / columns;
  const rows = Math.ceil(list.length / columns);
  canvas.ensureSpace(rows * (height + gap));
  const top = canvas.y;
  list.forEach((tile, i) => {
    const x = canvas.left + (i % columns) * (width + gap);
    const y = top + Math.floor(i / columns) * (height + gap);
    canvas.box(x, y, width, height, layout.colors.tile);
    canvas.box(x, y, 2.5, height, i === 0 ? layout.colors.accent : layout.colors.faint);
    const inner = width - 18;
    canvas.text(tile.label, x + 10, y + 5, {
      size: layout.fontSize.kpiLabel,
      color: layout.colors.muted,
      width: inner,
    });
    canvas.text(tile.value, x + 10, y + 16, {
      size: layout.fontSize.kpiValue,
      bold: true,
      color: tile.color ?? layout.colors.text,
      width: inner,
      shrink: true,
    });
    tile.details.slice(0, 2).forEach((detail, j) => {
      canvas.text(detail, x + 10, y + 40 + j * 10, {
        size: layout.fontSize.tiny,
        color: layout.colors.muted,
        width: inner,
      });
    });
  });
  canvas.y = top + rows * (height + gap) + 6;
}
