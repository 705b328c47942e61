import { exactDecimal, signOf } from '../../core/money.ts';
import type { PageContext } from './context.ts';
import { fill } from './templates.ts';
import { localizeWarning } from './warnings.ts';
import { sanitizeLabel } from './text.ts';

/** Method and data quality: metering and allocation policies, prices, currency, coverage gaps, reconciliation, warnings. */
export function drawMethodPage(ctx: PageContext): void {
  const { canvas, summary, wording, fmt, layout } = ctx;
  const w = wording.method;
  canvas.newPage();
  canvas.pageTitle(w.title, w.subtitle);

  const p = summary.policies;
  const bridge = formatDuration(p.maxBridgeSeconds, ctx);
  const utilizationMode = fill(w.utilizationModes[p.utilization.mode], {
    floor: fmt.percent(p.utilization.floorPct, 0),
  });
  const utilizationSource =
    summary.scrape.dcgmSeconds === null
      ? w.utilizationSourceNone
      : fill(w.utilizationSource, { dcgm: fmt.number(summary.scrape.dcgmSeconds) });
  const conversion = summary.currency.conversion;
  const recon = summary.reconciliation;
  const reconciles =
    isZeroAmount(recon.difference) &&
    (recon.machines === undefined || isZeroAmount(recon.machines.difference));

  const entries: { label: string; lines: { text: string; color?: string }[] }[] = [
    {
      label: w.metering,
      lines: [
        {
          text: fill(w.meteringText, {
            ksm: fmt.number(summary.scrape.kubeStateMetricsSeconds),
            pending: p.pendingOnNode === 'charged' ? w.pendingCharged : '',
            bridge,
          }),
        },
      ],
    },
    { label: w.utilizationPolicy, lines: [{ text: utilizationMode }, { text: utilizationSource }] },
    {
      label: w.idlePolicy,
      lines: [
        {
          text: fill(w.idleModes[p.idle.mode], {
            platformTeam: sanitizeLabel(p.idle.platformTeam) || wording.common.unnamed,
          }),
        },
      ],
    },
    // The rule in words (summary.json keeps the precise rule for auditors: policies.rounding).
    {
      label: w.rounding,
      lines: [
        { text: fill(w.roundingText, { smallest: fmt.money(smallestUnit(summary.currency.minorDigits)) }) },
      ],
    },
    {
      label: w.catalog,
      lines: [{ text: fill(w.catalogText, { version: sanitizeLabel(summary.priceCatalog.version) }) }],
    },
    {
      label: w.currency,
      lines: [
        {
          text: conversion
            ? fill(w.conversionText, {
                code: summary.currency.code,
                from: sanitizeLabel(conversion.from),
                rate: fmt.number(Number(conversion.rate), decimalsOf(conversion.rate)),
              })
            : fill(w.currencyText, {
                code: summary.currency.code,
                digits: fmt.number(summary.currency.minorDigits),
              }),
        },
        ...budgetCurrencyLines(ctx),
      ],
    },
    {
      label: w.source,
      lines: [
        {
          // The demo's own description is English prose; the PDF says it in the report's language.
          text: `${(w.sourceKinds as Record<string, string>)[summary.source.kind] ?? summary.source.kind} · ${
            summary.source.kind === 'demo' ? w.sourceDemoText : sanitizeLabel(summary.source.description)
          }`,
        },
      ],
    },
    {
      label: w.coverage,
      lines: [
        {
          text: fill(w.coverageText, {
            pct: fmt.percent(summary.totals.coveragePct, 2),
            days: fmt.number(summary.coverage.byDay.length),
          }),
        },
        ...gapLines(ctx),
      ],
    },
    {
      label: w.reconciliation,
      lines: [
        {
          text: fill(w.reconciliationText, {
            sum: fmt.money(recon.sumOfRows),
            capacity: fmt.money(recon.capacityCost),
            difference: fmt.signedMoney(recon.difference),
          }),
        },
        ...machineLines(ctx),
        {
          text: reconciles ? w.reconciliationOk : w.reconciliationOff,
          color: reconciles ? layout.colors.positive : layout.colors.negative,
        },
      ],
    },
    { label: w.rows, lines: [{ text: fill(w.rowsText, { rows: fmt.number(summary.totals.rowCount) }) }] },
    { label: w.warnings, lines: warningLines(ctx) },
  ];

  const labelWidth = 120;
  const size = layout.fontSize.small + 0.5;
  const lineHeight = canvas.lineHeight(size);
  for (const entry of entries) {
    const wrapped = entry.lines.flatMap((line) =>
      canvas
        .wrap(line.text, canvas.width - labelWidth, { size, maxLines: 4 })
        .map((text) => ({ text, color: line.color })),
    );
    canvas.ensureSpace(Math.min(wrapped.length, 4) * lineHeight + 6);
    canvas.rule(canvas.y - 3, layout.colors.grid);
    canvas.text(entry.label, canvas.left, canvas.y, { size, bold: true, width: labelWidth - 10 });
    for (const line of wrapped) {
      canvas.ensureSpace(lineHeight);
      canvas.text(line.text, canvas.left + labelWidth, canvas.y, {
        size,
        color: line.color ?? layout.colors.text,
        width: canvas.width - labelWidth,
      });
      canvas.y += lineHeight;
    }
    canvas.y += 6;
  }
}

/** The month against the machines, and idle by reason (absent from summaries made before #14). */
function machineLines(ctx: PageContext): { text: string }[] {
  const { summary, wording, fmt } = ctx;
  const w = wording.method;
  const { machines, idle, allocatedCost } = summary.reconciliation;
  if (!machines || !idle || allocatedCost === undefined) return [];
  const reason = (r: keyof typeof idle.byReason) => fmt.money(idle.byReason[r].cost);
  return [
    {
      text: fill(w.machinesText, {
        nodeHours: fmt.number(machines.nodeHours, 1),
        gpuHours: fmt.number(machines.gpuHours, 1),
        machines: fmt.money(machines.cost),
        allocated: fmt.money(allocatedCost),
        idle: fmt.money(idle.cost),
        difference: fmt.signedMoney(machines.difference),
      }),
    },
    {
      text: fill(w.idleReasonsText, {
        unallocated: reason('unallocated'),
        migUnpartitioned: reason('mig-unpartitioned'),
        notAdvertised: reason('not-advertised'),
        unknownResource: reason('unknown-resource'),
      }),
    },
  ];
}

function gapLines(ctx: PageContext): { text: string; color?: string }[] {
  const { summary, wording, fmt, layout } = ctx;
  const w = wording.method;
  const gaps = [...summary.coverage.gaps].sort((a, b) => a.startMs - b.startMs);
  if (gaps.length === 0) return [{ text: w.coverageGapsNone }];
  const shown = gaps.slice(0, layout.limits.gapsListed).map((g) => ({
    text: fill(w.gapLine, {
      start: fmt.dateTime(g.startMs, summary.period.zone),
      end: fmt.dateTime(g.endMs, summary.period.zone),
      hours: fmt.number((g.endMs - g.startMs) / 3_600_000, 1),
    }),
    color: layout.colors.muted,
  }));
  const more = gaps.length - shown.length;
  return [
    { text: fill(w.coverageGaps, { count: fmt.number(gaps.length) }) },
    ...shown,
    ...(more > 0
      ? [{ text: fill(wording.common.andMore, { count: fmt.number(more) }), color: layout.colors.muted }]
      : []),
  ];
}

function warningLines(ctx: PageContext): { text: string; color?: string }[] {
  const { summary, wording, fmt, layout, language } = ctx;
  const warnings = summary.warnings
    .map((text) => sanitizeLabel(localizeWarning(text, language)))
    .filter((s) => s.length > 0);
  if (warnings.length === 0) return [{ text: wording.method.warningsNone }];
  const shown = warnings.slice(0, layout.limits.warningsListed).map((text) => ({ text: `• ${text}` }));
  const more = warnings.length - shown.length;
  return more > 0
    ? [
        ...shown,
        { text: fill(wording.common.andMore, { count: fmt.number(more) }), color: layout.colors.muted },
      ]
    : shown;
}

function formatDuration(seconds: number, ctx: PageContext): string {
  const { fmt, wording } = ctx;
  if (seconds % 3600 === 0 && seconds > 0)
    return fill(wording.common.hoursUnit, { value: fmt.number(seconds / 3600) });
  return fill(wording.common.minutesUnit, { value: fmt.number(seconds / 60, seconds % 60 === 0 ? 0 : 1) });
}

function decimalsOf(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : Math.min(6, text.length - dot - 1);
}

/** True when `text` is a decimal amount equal to zero (an unreadable one counts as not reconciling). */
function isZeroAmount(text: string): boolean {
  try {
    return signOf(exactDecimal(text)) === 0;
  } catch {
    return false;
  }
}

/** One minor unit of a currency with `digits` minor digits, as a decimal string ("0.01", "1"). */
function smallestUnit(digits: number): string {
  return digits === 0 ? '1' : `0.${'0'.repeat(digits - 1)}1`;
}

/** The currency the budgets are written in, when budgets exist (and the rate, when it is not the bill's). */
function budgetCurrencyLines(ctx: PageContext): { text: string }[] {
  const { summary, wording, fmt } = ctx;
  const w = wording.method;
  const b = summary.budgets;
  if (!b) return [];
  if (b.conversionRate === null)
    return [{ text: fill(w.budgetCurrencyText, { code: sanitizeLabel(b.currency) }) }];
  return [
    {
      text: fill(w.budgetConversionText, {
        code: summary.currency.code,
        from: sanitizeLabel(b.currency),
        rate: fmt.number(Number(b.conversionRate), decimalsOf(b.conversionRate)),
      }),
    },
  ];
}
