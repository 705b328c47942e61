import { absRatio, compareRatio, exactDecimal, signOf, sumDecimals } from '../../core/money.ts';
import type { AdviceScenario } from '../../core/advice.ts';
import { wholeGpus } from '../../core/advice.ts';
import { ownValue } from '../../core/records.ts';
import { drawHorizontalBars, drawLegend, drawLineWithReferences } from './charts.ts';
import { displayLabel, type PageContext } from './context.ts';
import { fill } from './templates.ts';

/** Baseline-vs-burst capacity advice: three scenario totals, per instance type, the demand profile, assumptions. */
export function drawAdvicePage(ctx: PageContext): void {
  const { canvas, summary, model, wording, fmt, layout } = ctx;
  const w = wording.advice;
  const advice = model.advice;
  const percentile = fmt.number(advice.baselinePercentile, advice.baselinePercentile % 1 === 0 ? 0 : 1);
  const scenarioName = (s: AdviceScenario) => fill(w.scenarios[s], { percentile });
  canvas.newPage();
  canvas.pageTitle(w.title, w.subtitle);

  const totals = advice.totals;
  const scenarios: { scenario: AdviceScenario; cost: string; color: string }[] = [
    { scenario: 'as-run', cost: totals.asRunCost, color: layout.colors.accent },
    { scenario: 'on-demand-peak', cost: totals.onDemandPeakCost, color: layout.colors.faint },
    { scenario: 'baseline-burst', cost: totals.baselineBurstCost, color: layout.colors.spot },
  ];
  const nothing =
    advice.byInstanceType.length === 0 ||
    signOf(sumDecimals([totals.asRunCost, totals.onDemandPeakCost])) === 0;

  if (!nothing)
    canvas.y += drawHorizontalBars(
      canvas,
      scenarios.map((s) => ({
        label: scenarioName(s.scenario),
        value: Number(s.cost),
        valueText: fmt.money(s.cost),
        color: s.color,
      })),
      {
        x: canvas.left,
        y: canvas.y + 2,
        width: canvas.width,
        labelWidth: 190,
        valueWidth: 100,
        barHeight: 14,
        gap: 6,
      },
    );
  canvas.y += 8;

  const savings = exactDecimal(totals.savingsVsAsRun);
  const conclusion = nothing
    ? w.conclusionNone
    : fill(signOf(savings) < 0 ? w.conclusionMore : w.conclusionSaving, {
        percentile,
        cost: fmt.money(totals.baselineBurstCost),
        amount: fmt.money(absRatio(savings)),
        pct: fmt.percent(totals.savingsVsAsRunPct === null ? null : Math.abs(totals.savingsVsAsRunPct)),
      });
  canvas.paragraph(conclusion, { size: 9.5, bold: true, gapAfter: 10 });

  const c = w.columns;
  const shortName: Record<AdviceScenario, string> = {
    'as-run': c.asRun,
    'on-demand-peak': c.peakCost,
    'baseline-burst': c.baselineBurst,
  };
  canvas.table(
    null,
    [
      { header: c.instanceType, width: 84 },
      { header: c.peak, width: 40, align: 'right' },
      { header: `${c.baseline} (p${percentile})`, width: 50, align: 'right' },
      { header: c.burst, width: 50, align: 'right' },
      { header: c.asRun, width: 70, align: 'right' },
      { header: c.peakCost, width: 70, align: 'right' },
      { header: c.baselineBurst, width: 70, align: 'right' },
      { header: c.cheapest, width: 77 },
    ],
    [
      ...advice.byInstanceType.map((a) => ({
        cells: [
          displayLabel(a.instanceType, wording),
          fmt.number(a.peakGpus),
          fmt.number(a.baselineGpus),
          fmt.number(a.burstGpuHours),
          fmt.money(a.asRunCost),
          fmt.money(a.onDemandPeakCost),
          fmt.money(a.baselineBurstCost),
          {
            text: shortName[a.cheapest],
            color: a.cheapest === 'as-run' ? undefined : layout.colors.positive,
          },
        ],
      })),
      ...(advice.byInstanceType.length > 1
        ? [
            {
              total: true,
              cells: [
                wording.common.total,
                '',
                '',
                fmt.number(advice.byInstanceType.reduce((s, a) => s + a.burstGpuHours, 0)),
                fmt.money(totals.asRunCost),
                fmt.money(totals.onDemandPeakCost),
                fmt.money(totals.baselineBurstCost),
                '',
              ],
            },
          ]
        : []),
    ],
    { continuedTitle: w.title },
  );

  // Hourly demand of the instance type that cost the most, with its baseline and peak.
  const biggest = [...advice.byInstanceType].sort((a, b) =>
    compareRatio(exactDecimal(b.asRunCost), exactDecimal(a.asRunCost)),
  )[0];
  const series = biggest ? ownValue(summary.hourlyAllocatedGpus, biggest.instanceType) : undefined;
  if (biggest && series && series.length > 0) {
    canvas.heading(
      fill(w.profile, { instanceType: displayLabel(biggest.instanceType, wording) }),
      undefined,
      150,
    );
    const hoursPerDay = Math.max(1, summary.period.hours / Math.max(1, summary.period.days));
    const xLabels = summary.byDay
      .map((d, i) => ({
        index: Math.round(i * hoursPerDay),
        label: String(Number(d.date.slice(8, 10))),
        day: i,
      }))
      .filter((d) => d.day % 5 === 0);
    canvas.y += drawLineWithReferences(
      canvas,
      series.map((v) => wholeGpus(v)),
      [
        { value: biggest.baselineGpus, color: layout.colors.baseline },
        { value: biggest.peakGpus, color: layout.colors.peak },
      ],
      {
        x: canvas.left,
        y: canvas.y,
        width: canvas.width,
        height: 120,
        color: layout.colors.accent,
        formatTick: (v) => fmt.number(v, v % 1 === 0 ? 0 : 1),
        xLabels,
      },
    );
    canvas.y += drawLegend(
      canvas,
      [
        { name: w.profileLegendDemand, color: layout.colors.accent, line: true },
        {
          name: fill(w.profileLegendBaseline, { percentile }),
          color: layout.colors.baseline,
          line: true,
          dashed: true,
        },
        { name: w.profileLegendPeak, color: layout.colors.peak, line: true, dashed: true },
      ],
      canvas.left + 62,
      canvas.y,
      canvas.width - 62,
    );
    canvas.y += 8;
  }

  canvas.heading(w.assumptionsTitle, undefined, 80);
  for (const assumption of w.assumptions) {
    const text = fill(assumption, { hours: fmt.number(advice.hours), percentile });
    const lines = canvas.wrap(text, canvas.width - 12, { size: layout.fontSize.small });
    const lineHeight = canvas.lineHeight(layout.fontSize.small);
    canvas.ensureSpace(lines.length * lineHeight);
    canvas.text('•', canvas.left, canvas.y, { size: layout.fontSize.small, color: layout.colors.muted });
    for (const line of lines) {
      canvas.text(line, canvas.left + 12, canvas.y, {
        size: layout.fontSize.small,
        color: layout.colors.muted,
        width: canvas.width - 12,
      });
      canvas.y += lineHeight;
    }
    canvas.y += 1.5;
  }
}
