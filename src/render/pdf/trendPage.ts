import { compareRatio, divideRatio, exactDecimal, exactNumber, sumDecimals } from '../../core/money.ts';
import { ownValue } from '../../core/records.ts';
import { drawStackedColumns, type Series } from './charts.ts';
import { displayLabel, type PageContext } from './context.ts';
import { topWithOther } from './reportModel.ts';
import { fill } from './templates.ts';

/** Page 2: daily cost stacked by team (top teams + other), and by pricing (Spot, On-Demand, Committed). */
export function drawTrendPage(ctx: PageContext): void {
  const { canvas, summary, wording, fmt, layout } = ctx;
  const w = wording.trend;
  canvas.newPage();
  canvas.pageTitle(w.title, fill(w.subtitle, { month: fmt.month(summary.period.month) }));

  const days = summary.byDay;
  const categories = days.map((d) => String(Number(d.date.slice(8, 10))));

  const grouped = topWithOther(
    summary.byTeam.map((t) => ({ key: t.key, value: Number(t.cost) })),
    layout.limits.trendTeams,
  );
  const topKeys = new Set(grouped.filter((g) => !g.isOther).map((g) => g.key));
  const teamSeries: Series[] = grouped.map((g, i) => ({
    name: g.isOther ? fill(wording.common.other, { count: g.count }) : displayLabel(g.key, wording),
    color: g.isOther ? layout.colors.other : layout.colors.series[i % layout.colors.series.length]!,
    values: days.map((d) =>
      g.isOther
        ? Object.entries(d.byTeam).reduce(
            (sum, [team, cost]) => (topKeys.has(team) ? sum : sum + Number(cost)),
            0,
          )
        : Number(ownValue(d.byTeam, g.key) ?? 0),
    ),
  }));
  const tick = (v: number) => fmt.moneyCompact(v);

  canvas.heading(w.byTeam, undefined, 250);
  canvas.y += drawStackedColumns(canvas, categories, teamSeries, {
    x: canvas.left,
    y: canvas.y,
    width: canvas.width,
    height: 230,
    formatTick: tick,
    emptyText: wording.common.noData,
  });
  canvas.y += 12;

  const pricing: Series[] = [
    { name: w.onDemand, color: layout.colors.onDemand, values: days.map((d) => Number(d.onDemandCost)) },
    { name: w.spot, color: layout.colors.spot, values: days.map((d) => Number(d.spotCost)) },
  ];
  if (days.some((d) => Number(d.committedCost) > 0)) {
    pricing.push({
      name: w.committed,
      color: layout.colors.committed,
      values: days.map((d) => Number(d.committedCost)),
    });
  }
  canvas.heading(w.byPricing, undefined, 180);
  canvas.y += drawStackedColumns(canvas, categories, pricing, {
    x: canvas.left,
    y: canvas.y,
    width: canvas.width,
    height: 150,
    formatTick: tick,
    emptyText: wording.common.noData,
  });
  canvas.y += 10;

  if (days.length > 0 && days.some((d) => Number(d.cost) !== 0)) {
    const costs = days.map((d) => exactDecimal(d.cost));
    let high = 0;
    let low = 0;
    costs.forEach((c, i) => {
      if (compareRatio(c, costs[high]!) > 0) high = i;
      if (compareRatio(c, costs[low]!) < 0) low = i;
    });
    const average = divideRatio(sumDecimals(days.map((d) => d.cost)), exactNumber(costs.length));
    canvas.paragraph(
      fill(w.stats, {
        average: fmt.moneyWhole(average),
        highDay: fmt.shortDate(days[high]!.date),
        high: fmt.moneyWhole(days[high]!.cost),
        lowDay: fmt.shortDate(days[low]!.date),
        low: fmt.moneyWhole(days[low]!.cost),
      }),
      { size: layout.fontSize.body, color: layout.colors.muted },
    );
  }
}
