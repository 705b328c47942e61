import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfig } from '../../../src/app/demoConfig.ts';
import { ROUNDING_RULE } from '../../../src/core/money.ts';
import type { Summary } from '../../../src/core/types.ts';
import { warningText } from '../../../src/core/warningText.ts';
import { type PdfOptions, renderPdf } from '../../../src/render/pdf/renderPdf.ts';
import { wordingFor } from '../../../src/render/pdf/templates.ts';
import { krwSummary, realisticSummary } from '../../support/summaryFixture.ts';

/**
 * Issue #16: the figures finance reads are labelled for what they are, and every sentence of the PDF comes
 * from templates/ (a Korean report prints no English sentence).
 */

const hasPoppler = !spawnSync('pdftotext', ['-v']).error;
let dir = '';

async function pagesOf(name: string, summary: Summary, options: PdfOptions): Promise<string[]> {
  const file = join(dir, `${name}.pdf`);
  writeFileSync(file, await renderPdf(summary, null, options));
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).split('\f').slice(0, -1);
}

/** The month as the product writes it: the real rounding rule, from the demo source, with a Spot pool. */
function demoMonth(summary: Summary): Summary {
  return {
    ...summary,
    source: {
      kind: 'demo',
      description: 'demo: seeded synthetic demo cluster "demo" (seed 42), not real usage',
    },
    policies: { ...summary.policies, rounding: ROUNDING_RULE },
    totals: { ...summary.totals, spotSpendSharePct: 1.4, spotSharePct: 11.1 },
  };
}

/**
 * The month with warnings of the kinds the core writes (a day range, money, a list of pods), as
 * summary.json carries them: English sentences, each from a code and its parameters.
 */
function withCoreWarnings(summary: Summary): Summary {
  const pod = 'ml/train-7 (uid 3f2a)';
  return {
    ...summary,
    warnings: [
      warningText('onDays', {
        first: '2026-03-01',
        last: '2026-03-31',
        count: 31,
        warning: warningText('nodeNoLabels', { node: 'ml-east/gpu-7' }),
      }),
      warningText('onDay', {
        date: '2026-03-14',
        warning: warningText('podPendingNoNode', { pod }),
      }),
      warningText('noMeteredDays', { count: 2, dates: '2026-03-30, 2026-03-31' }),
      warningText('uidSeveralPods', {
        uid: '3f2a',
        count: 2,
        bills: [
          warningText('uidPodBill', { pod, team: 'vision', amount: 'KRW 12,000' }),
          warningText('uidPodBill', { pod: 'ml/train-7b (uid 3f2a)', team: 'vision', amount: 'KRW 3,000' }),
        ].join('; '),
        amount: 'KRW 15,000',
      }),
      warningText('budgetWithoutSpend', { team: 'research', month: '2026-03' }),
      warningText('nodeGpuCountGuessed', {
        node: 'ml-east/gpu-9',
        instanceType: 'x9.metal',
        gpus: 8,
        gpuHours: '5952',
        amount: 'KRW 1,234,000',
      }),
      ...summary.warnings,
    ],
  };
}

/** Every label value of the summary (names of teams, projects, instance types, …): data, not wording. */
function dataValues(summary: Summary): string[] {
  return [
    ...summary.byTeam.map((t) => t.key),
    ...summary.byProject.flatMap((p) => [p.key, p.team]),
    ...summary.byNamespace.flatMap((n) => [n.key, n.cluster]),
    ...summary.byCluster.map((c) => c.key),
    ...summary.byGpuModel.map((g) => g.key),
    ...summary.byInstanceType.flatMap((t) => [t.instanceType, t.gpuModel]),
    ...summary.lowUtilization.flatMap((u) => [u.namespace, u.project, u.team, u.cluster]),
    summary.priceCatalog.version,
    summary.period.zone,
  ].filter((v) => v.length > 0);
}

/**
 * Runs of three or more English words (words with lower-case letters: "GPU" or "p50" are not words of a
 * sentence) once data values are blanked.
 */
function latinPhrases(text: string, data: readonly string[]): string[] {
  let blanked = text;
  for (const value of [...new Set(data)].sort((a, b) => b.length - a.length))
    blanked = blanked.split(value).join('■');
  const word = "[A-Za-z]*[a-z]{2}[A-Za-z'-]*";
  const phrase = new RegExp(`${word}(?:[ \\t—–,;:()]+${word}){2,}`, 'g');
  return blanked.split('\n').flatMap((line) => line.match(phrase) ?? []);
}

describe.skipIf(!hasPoppler)('the PDF wording finance reads (issue #16)', () => {
  let english: string[];
  let korean: string[];
  const koreanSummary = withCoreWarnings(demoMonth(krwSummary()));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pdf-finance-'));
    english = await pagesOf('en', demoMonth(realisticSummary()), { language: 'en', baselinePercentile: 50 });
    korean = await pagesOf('ko', koreanSummary, { language: 'ko', baselinePercentile: 50 });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints no English phrase in the Korean report: title, rounding rule, data source and warnings come from templates', () => {
    const text = korean.join('\n');
    expect(text).toContain('GPU 비용 정산 — 데모 클러스터');
    expect(text).toContain('시드 기반 합성 클러스터이며 실제 사용량이 아닙니다');
    // The month's warnings, printed from their codes and parameters (the method page lists the first 8).
    expect(text).toContain(wordingFor('ko').method.warnings);
    expect(text).toContain('g4dn.xlarge의 스팟 가격이 없어 스팟 용량을 온디맨드 가격으로 청구했습니다');
    expect(text.replace(/\s+/g, ' ')).toContain('(31일): 노드 ml-east/gpu-7에 kube_node_labels가 없습니다');
    expect(latinPhrases(text, dataValues(koreanSummary))).toEqual([]);
  });

  it('leaves the title to the templates in the demo', () => {
    // The demo's title was an English string in its config, printed as such in the Korean report.
    expect(demoConfig.report?.title).toBeUndefined();
    expect(english[0]).toContain('GPU Chargeback — Demo Cluster · March 2026');
  });

  it('says how money is rounded in plain words, not the internal rule', () => {
    const method = english.at(-1)!.replace(/\s+/g, ' ');
    expect(method).toContain('Every amount is computed exactly and rounded once, to $0.01.');
    expect(method).not.toMatch(/largest remainder|10\^-15|half-even/);
  });

  it("shows Spot's share of spend as such, and its share of capacity labelled apart", () => {
    const page1 = english[0]!.replace(/\s+/g, ' ');
    expect(page1).toMatch(/Spot share of spend .*1\.4%/);
    expect(page1).toContain('11.1% of GPU capacity on Spot');
  });

  it('names On-Demand or Spot next to each instance type in the capacity chart', () => {
    const capacity = english.find((p) => p.includes('Allocated and idle GPU-hours'))!;
    const chart = capacity.slice(capacity.indexOf('Allocated and idle GPU-hours'));
    expect(chart).toMatch(/g5\.12xlarge · Spot\s/);
    expect(chart).toMatch(/p4d\.24xlarge · On-Demand\s/);
  });

  it('titles the right-sizing list with its utilization threshold', () => {
    const capacity = english.find((p) => p.includes('Capacity and efficiency'))!.replace(/\s+/g, ' ');
    expect(capacity).toContain('Workloads below 50% GPU utilization');
    expect(capacity).toContain(
      'Candidates for right-sizing: workloads (namespace / project) below 50% utilization',
    );
  });
});
