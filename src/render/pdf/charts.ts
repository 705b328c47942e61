import type { Canvas } from './canvas.ts';

/** Vector charts drawn with pdfkit paths: horizontal bars, stacked columns, a line with reference lines. */

export interface BarItem {
  label: string;
  value: number;
  valueText: string;
  color: string;
}

export interface Series {
  name: string;
  color: string;
  values: number[];
}

export interface LegendItem {
  name: string;
  color: string;
  /** Draw a line sample instead of a filled swatch. */
  line?: boolean;
  dashed?: boolean;
}

/**
 * "Nice" axis ticks from 0 to at least `max` (steps of 1, 2, 2.5 or 5 x 10^n), at most `count` + 1 ticks.
 * Returns [0, 1] when max is not positive, so an empty chart still has a scale.
 */
export function niceTicks(max: number, count = 4): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0, 1];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= rough) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let t = 0; t < max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

/** Horizontal bars with a label column on the left and a value column on the right; returns the height used. */
export function drawHorizontalBars(
  canvas: Canvas,
  items: BarItem[],
  box: {
    x: number;
    y: number;
    width: number;
    labelWidth: number;
    valueWidth: number;
    barHeight?: number;
    gap?: number;
  },
): number {
  const { fontSize, colors } = canvas.layout;
  const barHeight = box.barHeight ?? 12;
  const gap = box.gap ?? 5;
  const barX = box.x + box.labelWidth;
  const barArea = box.width - box.labelWidth - box.valueWidth - 6;
  const max = Math.max(0, ...items.map((i) => i.value));
  items.forEach((item, i) => {
    const top = box.y + i * (barHeight + gap);
    const textY = canvas.textTopForCenter(top + barHeight / 2, fontSize.small);
    canvas.text(item.label, box.x, textY, { size: fontSize.small, width: box.labelWidth - 6 });
    const length = max > 0 && item.value > 0 ? Math.max(0.75, (item.value / max) * barArea) : 0;
    canvas.box(barX, top, length, barHeight, item.color);
    canvas.text(item.valueText, box.x + box.width - box.valueWidth, textY, {
      size: fontSize.small,
      width: box.valueWidth,
      align: 'right',
      shrink: true,
    });
  });
  canvas.doc
    .save()
    .moveTo(barX, box.y - 2)
    .lineTo(barX, box.y + items.length * (barHeight + gap) - gap + 2)
    .lineWidth(0.6)
    .strokeColor(colors.faint)
    .stroke()
    .restore();
  return items.length * (barHeight + gap);
}

/** A legend laid out left to right, wrapping to new rows; returns the height used. */
export function drawLegend(canvas: Canvas, items: LegendItem[], x: number, y: number, width: number): number {
  const size = canvas.layout.fontSize.small;
  const rowHeight = canvas.lineHeight(size) + 2;
  const maxLabel = Math.min(150, width - 16);
  let cx = x;
  let cy = y;
  for (const item of items) {
    canvas.useFont(false, size);
    const labelWidth = Math.min(maxLabel, canvas.widthOf(item.name));
    const itemWidth = 12 + labelWidth + 12;
    if (cx > x && cx + itemWidth > x + width) {
      cx = x;
      cy += rowHeight;
    }
    const mid = cy + rowHeight / 2 - 1;
    if (item.line) {
      const line = canvas.doc
        .save()
        .moveTo(cx, mid)
        .lineTo(cx + 9, mid)
        .lineWidth(1.4)
        .strokeColor(item.color);
      if (item.dashed) line.dash(2, { space: 1.5 });
      line.stroke().undash().restore();
    } else {
      canvas.box(cx, mid - 3.5, 8, 7, item.color);
    }
    canvas.text(item.name, cx + 12, canvas.textTopForCenter(mid, size), {
      size,
      width: labelWidth + 0.5,
      color: canvas.layout.colors.muted,
    });
    cx += itemWidth;
  }
  return cy - y + rowHeight;
}

function drawYAxis(
  canvas: Canvas,
  ticks: number[],
  plot: { x: number; y: number; width: number; height: number },
  formatTick: (v: number) => string,
): void {
  const { fontSize, colors } = canvas.layout;
  const top = ticks[ticks.length - 1] || 1;
  for (const tick of ticks) {
    const ty = plot.y + plot.height - (tick / top) * plot.height;
    canvas.doc
      .save()
      .moveTo(plot.x, ty)
      .lineTo(plot.x + plot.width, ty)
      .lineWidth(tick === 0 ? 0.8 : 0.4)
      .strokeColor(tick === 0 ? colors.faint : colors.grid)
      .stroke()
      .restore();
    canvas.text(formatTick(tick), plot.x - 60, canvas.textTopForCenter(ty, fontSize.tiny), {
      size: fontSize.tiny,
      width: 56,
      align: 'right',
      color: colors.muted,
      shrink: true,
    });
  }
}

/**
 * Stacked columns, one per category (e.g. day of month), with a y axis of nice ticks, x labels thinned
 * to fit and a legend under the plot. Returns the height used.
 */
export function drawStackedColumns(
  canvas: Canvas,
  categories: string[],
  series: Series[],
  box: {
    x: number;
    y: number;
    width: number;
    height: number;
    formatTick: (v: number) => string;
    emptyText: string;
  },
): number {
  const { fontSize, colors } = canvas.layout;
  const totals = categories.map((_, i) => series.reduce((sum, s) => sum + Math.max(0, s.values[i] ?? 0), 0));
  const max = Math.max(0, ...totals);
  const ticks = niceTicks(max);
  const axisWidth = 62;
  const plot = { x: box.x + axisWidth, y: box.y + 4, width: box.width - axisWidth, height: box.height - 4 };
  drawYAxis(canvas, max > 0 ? ticks : [0], plot, box.formatTick);
  const top = ticks[ticks.length - 1]!;
  const slot = categories.length > 0 ? plot.width / categories.length : plot.width;
  const barWidth = Math.max(1, slot * 0.72);

  if (max <= 0) {
    canvas.text(box.emptyText, plot.x, canvas.textTopForCenter(plot.y + plot.height / 2, fontSize.body), {
      size: fontSize.body,
      width: plot.width,
      align: 'center',
      color: colors.muted,
    });
  } else {
    categories.forEach((_, i) => {
      let base = plot.y + plot.height;
      const x = plot.x + i * slot + (slot - barWidth) / 2;
      for (const s of series) {
        const v = Math.max(0, s.values[i] ?? 0);
        const h = (v / top) * plot.height;
        canvas.box(x, base - h, barWidth, h, s.color);
        base -= h;
      }
    });
  }

  // X labels: every category when they fit, else every k-th (always including the first).
  canvas.useFont(false, fontSize.tiny);
  const widest = Math.max(0, ...categories.map((c) => canvas.widthOf(c)));
  const every = Math.max(1, Math.ceil((widest + 3) / slot));
  const labelY = plot.y + plot.height + 2;
  categories.forEach((label, i) => {
    if (i % every !== 0) return;
    canvas.text(label, plot.x + i * slot - 6, labelY, {
      size: fontSize.tiny,
      width: slot + 12,
      align: 'center',
      color: colors.muted,
    });
  });
  let used = plot.height + 4 + canvas.lineHeight(fontSize.tiny) + 4;
  const legend = series.map((s) => ({ name: s.name, color: s.color }));
  used += drawLegend(canvas, legend, plot.x, box.y + used, plot.width);
  return used;
}

/**
 * A line over many points (e.g. hourly demand) with dashed horizontal reference lines and a y axis.
 * Returns the height used.
 */
export function drawLineWithReferences(
  canvas: Canvas,
  values: number[],
  references: { value: number; color: string }[],
  box: {
    x: number;
    y: number;
    width: number;
    height: number;
    color: string;
    formatTick: (v: number) => string;
    xLabels: { index: number; label: string }[];
  },
): number {
  const { fontSize, colors } = canvas.layout;
  const max = Math.max(0, ...values, ...references.map((r) => r.value));
  const ticks = niceTicks(max);
  const axisWidth = 62;
  const plot = { x: box.x + axisWidth, y: box.y + 4, width: box.width - axisWidth, height: box.height - 4 };
  drawYAxis(canvas, ticks, plot, box.formatTick);
  const top = ticks[ticks.length - 1]!;
  const n = Math.max(1, values.length);
  const px = (i: number) => plot.x + (i / n) * plot.width;
  const py = (v: number) => plot.y + plot.height - (Math.max(0, v) / top) * plot.height;
  if (values.length > 0) {
    const doc = canvas.doc.save();
    doc.moveTo(px(0), py(values[0]!));
    values.forEach((v, i) => {
      doc.lineTo(px(i), py(v)).lineTo(px(i + 1), py(v));
    });
    doc.lineWidth(0.6).strokeColor(box.color).stroke().restore();
  }
  for (const ref of references) {
    canvas.doc
      .save()
      .moveTo(plot.x, py(ref.value))
      .lineTo(plot.x + plot.width, py(ref.value))
      .lineWidth(1.2)
      .dash(4, { space: 2 })
      .strokeColor(ref.color)
      .stroke()
      .undash()
      .restore();
  }
  const labelY = plot.y + plot.height + 2;
  for (const { index, label } of box.xLabels) {
    canvas.text(label, px(index) - 15, labelY, {
      size: fontSize.tiny,
      width: 30,
      align: 'center',
      color: colors.muted,
    });
  }
  return plot.height + 4 + canvas.lineHeight(fontSize.tiny) + 4;
}
