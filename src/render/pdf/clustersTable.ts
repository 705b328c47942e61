import { sumDecimals } from '../../core/money.ts';
import type { TableRow } from './canvas.ts';
import { displayLabel, type PageContext } from './context.ts';
import { ratio } from './format.ts';

/**
 * Under the team table, when the month spans several clusters: one row per cluster (cost, share of
 * the total, GPU-hours, utilization), most expensive first, and a total. A single cluster draws nothing.
 */
export function drawClustersTable(ctx: PageContext): void {
  const { canvas, summary, wording, fmt } = ctx;
  if (summary.byCluster.length < 2) return;
  const w = wording.clusters;
  const total = Number(summary.totals.cost);
  const rows: TableRow[] = summary.byCluster.map((c) => ({
    cells: [
      displayLabel(c.key, wording),
      fmt.money(c.cost),
      fmt.percent(ratio(Number(c.cost) * 100, total)),
      fmt.number(c.gpuHours),
      fmt.percent(c.utilizationPct),
    ],
  }));
  const cost = sumDecimals(summary.byCluster.map((c) => c.cost));
  const gpuHours = summary.byCluster.reduce((s, c) => s + c.gpuHours, 0);
  const known = summary.byCluster.filter((c) => c.utilizationPct !== null);
  const util = ratio(
    known.reduce((s, c) => s + c.gpuHours * (c.utilizationPct ?? 0), 0),
    known.reduce((s, c) => s + c.gpuHours, 0),
  );
  rows.push({
    total: true,
    cells: [wording.common.total, fmt.money(cost), fmt.percent(100), fmt.number(gpuHours), fmt.percent(util)],
  });
  canvas.table(
    w.title,
    [
      { header: w.columns.cluster, width: 180 },
      { header: w.columns.cost, width: 90, align: 'right' },
      { header: w.columns.share, width: 60, align: 'right' },
      { header: w.columns.gpuHours, width: 80, align: 'right' },
      { header: w.columns.utilization, width: 70, align: 'right' },
    ],
    rows,
    { continuedTitle: w.title },
  );
}
