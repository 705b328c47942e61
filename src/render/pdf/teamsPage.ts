import { exactDecimal, ratioToDisplayNumber, signOf, sumDecimals } from '../../core/money.ts';
import type { Cell, TableRow } from './canvas.ts';
import { drawClustersTable } from './clustersTable.ts';
import { displayLabel, type PageContext } from './context.ts';
import { ratio } from './format.ts';
import { teamChangePct } from './reportModel.ts';
import { fill } from './templates.ts';

/**
 * Page 3+: one row per team (cost, change, GPU-hours, utilization, idle share, budget, variance) and a
 * total; then, for a platform of several clusters, the cost by cluster.
 */
export function drawTeamsPage(ctx: PageContext): void {
  const { canvas, summary, model, wording, fmt, layout } = ctx;
  const w = wording.teams;
  const c = w.columns;
  canvas.newPage();
  canvas.pageTitle(w.title, w.subtitle);

  const signColor = (value: string | null): string | undefined => {
    if (value === null) return undefined;
    const sign = signOf(exactDecimal(value));
    return sign === 0 ? undefined : sign > 0 ? layout.colors.negative : layout.colors.positive;
  };
  const changeCell = (pct: number | null, isNew: boolean): Cell => {
    if (isNew) return { text: wording.common.new, color: layout.colors.muted };
    return {
      text: fmt.signedPercent(pct),
      color:
        pct === null || pct === 0 ? undefined : pct > 0 ? layout.colors.negative : layout.colors.positive,
    };
  };

  const rows: TableRow[] = summary.byTeam.map((team) => {
    const isNew = model.previous !== null && !model.previous.byTeam.has(team.key);
    return {
      cells: [
        displayLabel(team.key, wording),
        fmt.money(team.cost),
        model.previous
          ? changeCell(teamChangePct(team, model.previous, summary.period.days), isNew)
          : wording.common.none,
        fmt.number(team.gpuHours),
        fmt.percent(team.utilizationPct),
        fmt.percent(team.idleSharePct),
        team.budget === null ? wording.common.none : fmt.money(team.budget),
        team.variance === null
          ? wording.common.none
          : { text: fmt.signedMoney(team.variance), color: signColor(team.variance) },
      ],
    };
  });

  if (rows.length > 0) {
    const t = summary.totals;
    const gpuHours = summary.byTeam.reduce((s, team) => s + team.gpuHours, 0);
    const known = summary.byTeam.filter((team) => team.utilizationPct !== null);
    const knownHours = known.reduce((s, team) => s + team.gpuHours, 0);
    const util = ratio(
      known.reduce((s, team) => s + team.gpuHours * (team.utilizationPct ?? 0), 0),
      knownHours,
    );
    const idle = sumDecimals(summary.byTeam.flatMap((team) => [team.idleCost, team.unusedAllocationCost]));
    rows.push({
      total: true,
      cells: [
        wording.common.total,
        fmt.money(t.cost),
        model.previous ? changeCell(model.previous.changePct, false) : wording.common.none,
        fmt.number(gpuHours),
        fmt.percent(util),
        fmt.percent(ratio(ratioToDisplayNumber(idle) * 100, Number(t.cost))),
        model.budget.budget === null ? wording.common.none : fmt.money(model.budget.budget),
        model.budget.variance === null
          ? wording.common.none
          : { text: fmt.signedMoney(model.budget.variance), color: signColor(model.budget.variance) },
      ],
    });
  }

  canvas.table(
    null,
    [
      { header: c.team, width: 134 },
      { header: c.cost, width: 72, align: 'right' },
      {
        header: model.previous
          ? fill(c.change, { previousMonth: fmt.shortMonth(model.previous.month) })
          : c.changeNoPrevious,
        width: 50,
        align: 'right',
      },
      { header: c.gpuHours, width: 48, align: 'right' },
      { header: c.utilization, width: 48, align: 'right' },
      { header: c.idleShare, width: 36, align: 'right' },
      { header: c.budget, width: 66, align: 'right' },
      { header: c.variance, width: 66, align: 'right' },
    ],
    rows,
    { continuedTitle: w.title },
  );
  drawClustersTable(ctx);
}
