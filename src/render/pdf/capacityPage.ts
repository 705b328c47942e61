import { compareStrings } from '../../core/compare.ts';
import { drawLegend } from './charts.ts';
import { displayLabel, type PageContext } from './context.ts';
import { ratio } from './format.ts';
import { fill } from './templates.ts';
import { LOW_UTILIZATION_MIN_COST_SHARE } from '../../core/aggregate/lowUtilization.ts';

/** Capacity and efficiency: capacity, allocated and idle GPU-hours by instance type and GPU model; lowest-utilization workloads. */
export function drawCapacityPage(ctx: PageContext): void {
  const { canvas, summary, wording, fmt, layout } = ctx;
  const w = wording.capacity;
  canvas.newPage();
  canvas.pageTitle(w.title, w.subtitle);

  const types = [...summary.byInstanceType].sort(
    (a, b) => b.capacityGpuHours - a.capacityGpuHours || compareStrings(a.instanceType, b.instanceType),
  );
  const capacityTypeName = (type: string) => (w.capacityTypes as Record<string, string>)[type] ?? type;
  const c = w.columns;
  canvas.table(
    w.byInstanceType,
    [
      { header: c.instanceType, width: 92 },
      { header: c.gpuModel, width: 66 },
      { header: c.capacityType, width: 58 },
      { header: c.capacity, width: 60, align: 'right' },
      { header: c.allocated, width: 60, align: 'right' },
      { header: c.idle, width: 56, align: 'right' },
      { header: c.allocationRate, width: 50, align: 'right' },
      { header: c.cost, width: 74, align: 'right' },
    ],
    types.map((t) => ({
      cells: [
        displayLabel(instanceTypeLabel(t), wording),
        displayLabel(t.gpuModel, wording),
        capacityTypeName(t.capacityType),
        fmt.number(t.capacityGpuHours),
        fmt.number(t.allocatedGpuHours),
        fmt.number(t.idleGpuHours),
        fmt.percent(ratio(t.allocatedGpuHours * 100, t.capacityGpuHours)),
        fmt.money(t.cost),
      ],
    })),
  );

  if (types.length > 0) drawAllocationBars(ctx, types);

  const m = w.gpuModelColumns;
  canvas.table(
    w.byGpuModel,
    [
      { header: m.gpuModel, width: 150 },
      { header: m.gpuHours, width: 90, align: 'right' },
      { header: m.utilization, width: 80, align: 'right' },
      { header: m.cost, width: 95, align: 'right' },
      { header: m.listCost, width: 95, align: 'right' },
    ],
    summary.byGpuModel.map((g) => ({
      cells: [
        displayLabel(g.key, wording),
        fmt.number(g.gpuHours),
        fmt.percent(g.utilizationPct),
        fmt.money(g.cost),
        fmt.money(g.listCost),
      ],
    })),
  );

  const l = w.lowUtilizationColumns;
  const below = { pct: fmt.percent(summary.policies.lowUtilizationBelowPct, 0) };
  const lowTitle = fill(w.lowUtilization, below);
  canvas.heading(
    lowTitle,
    fill(w.lowUtilizationNote, {
      ...below,
      minShare: fmt.percent(LOW_UTILIZATION_MIN_COST_SHARE * 100, 1),
      count: fmt.number(layout.limits.lowUtilization),
    }),
    60,
  );
  if (summary.lowUtilization.length === 0) {
    canvas.paragraph(fill(w.lowUtilizationNone, below), { size: layout.fontSize.body, gapAfter: 6 });
    return;
  }
  canvas.table(
    null,
    [
      { header: l.namespace, width: 140 },
      { header: l.project, width: 130 },
      { header: l.team, width: 110 },
      { header: l.utilization, width: 60, align: 'right' },
      { header: l.cost, width: 80, align: 'right' },
    ],
    summary.lowUtilization.slice(0, layout.limits.lowUtilization).map((u) => ({
      cells: [
        displayLabel(u.namespace, wording),
        displayLabel(u.project, wording),
        displayLabel(u.team, wording),
        {
          text: fmt.percent(u.utilizationPct),
          color: u.utilizationPct < 20 ? layout.colors.negative : undefined,
        },
        fmt.money(u.cost),
      ],
    })),
    { continuedTitle: lowTitle },
  );
}

/** One bar per instance type, as long as its capacity, split into allocated and idle GPU-hours. */
function drawAllocationBars(ctx: PageContext, types: PageContext['summary']['byInstanceType']): void {
  const { canvas, wording, fmt, layout } = ctx;
  const w = wording.capacity;
  const barHeight = 11;
  const gap = 5;
  const height = types.length * (barHeight + gap) + 30;
  canvas.heading(w.chart, undefined, Math.min(height, 200));
  const labelWidth = 190;
  const valueWidth = 120;
  // Both capacity types of one instance type have a bar: the label says which is which.
  const capacityTypeName = (type: string) => (w.capacityTypes as Record<string, string>)[type] ?? type;
  const barX = canvas.left + labelWidth;
  const barArea = canvas.width - labelWidth - valueWidth - 6;
  const max = Math.max(0, ...types.map((t) => t.capacityGpuHours));
  for (const t of types) {
    canvas.ensureSpace(barHeight + gap);
    const top = canvas.y;
    const textY = canvas.textTopForCenter(top + barHeight / 2, layout.fontSize.small);
    const label = fill(w.chartLabel, {
      instanceType: displayLabel(instanceTypeLabel(t), wording),
      capacityType: capacityTypeName(t.capacityType),
    });
    canvas.text(label, canvas.left, textY, {
      size: layout.fontSize.small,
      width: labelWidth - 6,
    });
    if (max > 0) {
      const allocated = Math.max(0, Math.min(t.allocatedGpuHours, t.capacityGpuHours));
      const full = (t.capacityGpuHours / max) * barArea;
      const allocatedWidth = t.capacityGpuHours > 0 ? (allocated / t.capacityGpuHours) * full : 0;
      canvas.box(barX, top, allocatedWidth, barHeight, layout.colors.allocated);
      canvas.box(barX + allocatedWidth, top, full - allocatedWidth, barHeight, layout.colors.idle);
    }
    canvas.text(
      `${fmt.number(t.allocatedGpuHours)} / ${fmt.number(t.capacityGpuHours)} · ${fmt.percent(ratio(t.allocatedGpuHours * 100, t.capacityGpuHours), 0)}`,
      canvas.right - valueWidth,
      textY,
      { size: layout.fontSize.small, width: valueWidth, align: 'right', shrink: true },
    );
    canvas.y += barHeight + gap;
  }
  canvas.y += drawLegend(
    canvas,
    [
      { name: w.allocatedLegend, color: layout.colors.allocated },
      { name: w.idleLegend, color: layout.colors.idle },
    ],
    barX,
    canvas.y,
    barArea,
  );
  canvas.y += 10;
}

/** An instance type as listed: with its cluster when the month has several (summary.byInstanceType). */
function instanceTypeLabel(t: PageContext['summary']['byInstanceType'][number]): string {
  return t.cluster === undefined ? t.instanceType : `${t.instanceType} (${t.cluster})`;
}
