import { exactDecimal, signOf } from '../../core/money.ts';
import type { TableRow } from './canvas.ts';
import { displayLabel, type PageContext } from './context.ts';
import { fill } from './templates.ts';
import { sanitizeLabel } from './text.ts';

/**
 * Only on a restated month (page 2): which version this one replaces, why (the run's --reason), which
 * guard checks a forced run overrode, and each team's amount in both versions with the difference.
 */
export function drawRestatementPage(ctx: PageContext): void {
  const restatement = ctx.summary.restatement;
  if (!restatement) return;
  const { canvas, wording, fmt, layout } = ctx;
  const w = wording.restatement;
  canvas.newPage();
  canvas.pageTitle(
    w.title,
    fill(w.subtitle, {
      versionId: sanitizeLabel(restatement.replaces.versionId),
      runId: sanitizeLabel(restatement.replaces.runId),
      generatedAt: sanitizeLabel(restatement.replaces.generatedAt),
    }),
  );
  const reason = restatement.reason === null ? '' : sanitizeLabel(restatement.reason);
  canvas.paragraph(reason ? fill(w.reason, { reason }) : w.noReason, { bold: reason !== '' });
  if (restatement.forced) {
    canvas.paragraph(fill(w.forced, { overridden: sanitizeLabel(restatement.overridden.join('; ')) }), {
      color: layout.colors.negative,
    });
  }
  if (restatement.previousTotal === null || restatement.difference === null) {
    canvas.paragraph(
      fill(w.total, {
        previous: wording.common.none,
        current: fmt.money(restatement.total),
        difference: wording.common.none,
      }),
    );
    canvas.paragraph(w.unknownPrevious, { color: layout.colors.muted });
    return;
  }
  canvas.paragraph(
    fill(w.total, {
      previous: fmt.money(restatement.previousTotal),
      current: fmt.money(restatement.total),
      difference: fmt.signedMoney(restatement.difference),
    }),
    { gapAfter: 10 },
  );
  // A team that pays more is shown in the negative colour, one that pays less in the positive one.
  const signColor = (amount: string): string | undefined => {
    const sign = signOf(exactDecimal(amount));
    return sign > 0 ? layout.colors.negative : sign < 0 ? layout.colors.positive : undefined;
  };
  const rows: TableRow[] = restatement.byTeam.map((team) => ({
    cells: [
      displayLabel(team.team, wording),
      fmt.money(team.previous),
      fmt.money(team.current),
      { text: fmt.signedMoney(team.difference), color: signColor(team.difference) },
    ],
  }));
  rows.push({
    total: true,
    cells: [
      wording.common.total,
      fmt.money(restatement.previousTotal),
      fmt.money(restatement.total),
      fmt.signedMoney(restatement.difference),
    ],
  });
  const c = w.columns;
  canvas.table(
    null,
    [
      { header: c.team, width: 190 },
      { header: c.previous, width: 110, align: 'right' },
      { header: c.current, width: 110, align: 'right' },
      { header: c.difference, width: 110, align: 'right' },
    ],
    rows,
    { continuedTitle: w.title },
  );
}
