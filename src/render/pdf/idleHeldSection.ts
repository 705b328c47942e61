import type { IdleHeldSummary, Summary } from '../../core/types.ts';
import type { TableRow } from './canvas.ts';
import { displayLabel, type PageContext } from './context.ts';
import { fill } from './templates.ts';
import { sanitizeLabel } from './text.ts';

/** How many of summary.json's worst idle-held pods the executive PDF lists. */
export const IDLE_HELD_PDF_WORST_PODS = 5;

/** Whether the summary has idle-held GPU time or GPU quotas to show (the section is skipped otherwise). */
export function hasIdleHeldSection(summary: Summary): boolean {
  return (summary.idleHeld?.pods ?? 0) > 0 || (summary.gpuQuotas?.length ?? 0) > 0;
}

/** A namespace (of a quota or of idle-held GPUs) as the PDF names it: cluster/namespace when the month has more than one cluster. */
export function quotaNamespace(summary: Summary, q: { cluster: string; namespace: string }): string {
  return summary.byCluster.length > 1 && q.cluster !== '' ? `${q.cluster}/${q.namespace}` : q.namespace;
}

/**
 * GPUs held while idle (summary.json `idleHeld`: per team and the worst pods) and GPU ResourceQuota use
 * (`gpuQuotas`), flowing on from the page before it; nothing when the month has neither.
 */
export function drawIdleHeldSection(ctx: PageContext): void {
  const { canvas, summary, wording, fmt, layout } = ctx;
  if (!hasIdleHeldSection(summary)) return;
  const w = wording.idleHeld;
  const c = w.columns;
  const idle = summary.idleHeld;
  const quotas = summary.gpuQuotas ?? [];
  const idleShown = idle !== undefined && idle.pods > 0;
  const worst = idleShown ? idle.worstPods.slice(0, IDLE_HELD_PDF_WORST_PODS) : [];
  const namespaceRows = idleShown ? idleHeldNamespaceRows(ctx, idle) : [];
  // The whole section on one page: where the page before it ends when it fits there, else on a new page.
  const table = (rows: number) => 40 + Math.max(1, rows) * layout.table.rowHeight;
  const height =
    (idleShown
      ? 40 +
        table(idle.byTeam.length) +
        (namespaceRows.length > 0 ? table(namespaceRows.length) : 0) +
        table(worst.length)
      : 0) + (quotas.length > 0 ? 40 + table(quotas.length) : 0);
  if (height > canvas.remaining - 6) canvas.newPage();
  else canvas.y += 6;
  if (idleShown) {
    const values = {
      pct: fmt.percent(idle.rule?.utilizationBelowPct ?? null, 0),
      minutes: fmt.number(idle.rule?.forMinutes ?? null),
      gpuHours: fmt.number(idle.gpuHours, 1),
      cost: fmt.money(idle.cost),
      pods: fmt.number(idle.pods),
    };
    canvas.heading(w.title, fill(idle.rule ? w.rule : w.ruleUnknown, values), 90);
    canvas.table(
      w.byTeam,
      [
        { header: c.team, width: 250 },
        { header: c.gpuHours, width: 90, align: 'right' },
        { header: c.cost, width: 110, align: 'right' },
        { header: c.pods, width: 60, align: 'right' },
      ],
      idle.byTeam.map((t) => ({
        cells: [
          displayLabel(t.team, wording),
          fmt.number(t.gpuHours, 1),
          fmt.money(t.cost),
          fmt.number(t.pods),
        ],
      })),
    );
    if (namespaceRows.length > 0)
      canvas.table(
        w.byNamespace,
        [
          { header: c.team, width: 130 },
          { header: c.namespace, width: 170 },
          { header: c.gpuHours, width: 80, align: 'right' },
          { header: c.cost, width: 110, align: 'right' },
          { header: c.pods, width: 60, align: 'right' },
        ],
        namespaceRows,
      );
    canvas.table(
      w.worstPods,
      [
        { header: c.pod, width: 250 },
        { header: c.team, width: 110 },
        { header: c.gpuHours, width: 70, align: 'right' },
        { header: c.cost, width: 80, align: 'right' },
      ],
      worst.map((p) => ({
        cells: [
          podName(p, worst, summary.byCluster.length > 1) || wording.common.unnamed,
          displayLabel(p.team, wording),
          fmt.number(p.gpuHours, 1),
          fmt.money(p.cost),
        ],
      })),
    );
  }
  if (quotas.length > 0) {
    canvas.heading(w.quotas, w.quotasNote, 70);
    canvas.table(
      null,
      [
        { header: c.namespace, width: 130 },
        { header: c.resource, width: 150 },
        { header: c.hard, width: 55, align: 'right' },
        { header: c.peak, width: 55, align: 'right' },
        { header: c.average, width: 60, align: 'right' },
        { header: c.peakPct, width: 60, align: 'right' },
      ],
      quotas.map((q) => ({
        cells: [
          displayLabel(quotaNamespace(summary, q), wording),
          displayLabel(q.resource, wording),
          fmt.number(q.hard),
          fmt.number(q.peakUsed),
          fmt.number(q.averageUsed, 1),
          fmt.percent(q.peakUsedPct),
        ],
      })),
      { continuedTitle: w.quotas },
    );
  }
}

/**
 * The idle-held GPUs of each team's namespaces (summary.json `idleHeld.byTeam[].namespaces`): teams
 * most money first, each team's namespaces most money first under its name, at most
 * `layout.limits.idleHeldNamespaces` rows and an "… and N more" line for the namespace rows left out.
 * None for a summary published before the split existed.
 */
function idleHeldNamespaceRows(ctx: PageContext, idle: IdleHeldSummary): TableRow[] {
  const { summary, wording, fmt, layout } = ctx;
  const pairs = idle.byTeam.flatMap((t) =>
    (t.namespaces ?? []).map((ns, i) => ({ team: t.team, ns, first: i === 0 })),
  );
  if (pairs.length === 0) return [];
  const cap = layout.limits.idleHeldNamespaces;
  // With an "and more" line, it takes the place of the last row the cap allows.
  const shown = pairs.length > cap ? pairs.slice(0, Math.max(0, cap - 1)) : pairs;
  const rows: TableRow[] = shown.map(({ team, ns, first }) => ({
    cells: [
      first ? displayLabel(team, wording) : '',
      displayLabel(quotaNamespace(summary, ns), wording),
      fmt.number(ns.gpuHours, 1),
      fmt.money(ns.cost),
      fmt.number(ns.pods),
    ],
  }));
  const more = pairs.length - shown.length;
  if (more > 0)
    rows.push({
      cells: [
        { text: fill(wording.common.andMore, { count: fmt.number(more) }), color: layout.colors.muted },
      ],
    });
  return rows;
}

type IdleHeldPod = IdleHeldSummary['worstPods'][number];

/**
 * namespace/pod (cluster/namespace/pod with more than one cluster), with the start of its UID when
 * another listed pod has the same name (a pod deleted and created again under its name).
 */
function podName(pod: IdleHeldPod, listed: readonly IdleHeldPod[], clusters: boolean): string {
  const name = (p: IdleHeldPod) =>
    [clusters ? p.cluster : '', p.namespace, p.pod].filter((part) => part !== '').join('/');
  const own = sanitizeLabel(name(pod));
  const repeated = listed.some((p) => p !== pod && name(p) === name(pod));
  const uid = sanitizeLabel(pod.podUid).slice(0, 8);
  return repeated && uid !== '' ? `${own} (${uid})` : own;
}
