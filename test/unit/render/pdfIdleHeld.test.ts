import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../../src/core/types.ts';
import { renderPdf } from '../../../src/render/pdf/renderPdf.ts';
import { renderTeamPdf } from '../../../src/render/pdf/teamPdf.ts';
import { fill, wordingFor } from '../../../src/render/pdf/templates.ts';
import type { TeamFacts } from '../../../src/render/teamCsv.ts';
import { krwSummary, realisticSummary } from '../../support/summaryFixture.ts';

/**
 * Issue #16: GPUs held while idle (summary.json `idleHeld`) and GPU ResourceQuota use (`gpuQuotas`) are
 * shown in the executive PDF and in each team's one-page PDF.
 */

const hasPoppler = !spawnSync('pdftotext', ['-v']).error;
let dir = '';
let n = 0;

function textOf(pdf: Buffer): { pages: number; text: string } {
  const file = join(dir, `${n++}.pdf`);
  writeFileSync(file, pdf);
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
  return { pages: Number(/Pages:\s+(\d+)/.exec(info)![1]), text: text.replace(/\s+/g, ' ') };
}

/** The text of each page, whitespace folded. */
function textOfPages(pdf: Buffer): string[] {
  const file = join(dir, `${n++}.pdf`);
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' })
    .split('\f')
    .slice(0, -1)
    .map((page) => page.replace(/\s+/g, ' '));
}

const CLUSTER = 'prod-us-east-1';

/** The month with 7 idle-held pods of two teams and two GPU quotas (one MIG, one without a hard limit). */
function withIdleHeld(summary: Summary): Summary {
  const pod = (i: number, team: string, cost: string) => ({
    cluster: CLUSTER,
    namespace: `${team}-training`,
    pod: `idle-pod-${i}`,
    podUid: `uid-${i}`,
    team,
    gpuHours: 10 - i,
    cost,
  });
  return {
    ...summary,
    idleHeld: {
      rule: { utilizationBelowPct: 5, forMinutes: 15 },
      gpuHours: 42.5,
      cost: '1234.56',
      pods: 7,
      byTeam: [
        {
          team: 'speech',
          gpuHours: 30.25,
          cost: '900.00',
          pods: 5,
          namespaces: [
            { cluster: CLUSTER, namespace: 'speech-training', gpuHours: 20.25, cost: '700.00', pods: 4 },
            { cluster: CLUSTER, namespace: 'speech-eval', gpuHours: 10, cost: '200.00', pods: 1 },
          ],
        },
        {
          team: 'vision',
          gpuHours: 12.25,
          cost: '334.56',
          pods: 2,
          namespaces: [
            { cluster: CLUSTER, namespace: 'vision-training', gpuHours: 12.25, cost: '334.56', pods: 2 },
          ],
        },
      ],
      byNamespace: [
        { cluster: CLUSTER, namespace: 'speech-training', gpuHours: 30.25, cost: '900.00', pods: 5 },
        { cluster: CLUSTER, namespace: 'vision-training', gpuHours: 12.25, cost: '334.56', pods: 2 },
      ],
      worstPods: [
        pod(1, 'speech', '400.00'),
        pod(2, 'speech', '300.00'),
        pod(3, 'vision', '200.00'),
        pod(4, 'speech', '100.00'),
        pod(5, 'vision', '90.00'),
        pod(6, 'speech', '80.00'),
      ],
    },
    gpuQuotas: [
      {
        cluster: CLUSTER,
        namespace: 'speech-training',
        quota: 'gpu-quota',
        resource: 'requests.nvidia.com/gpu',
        hard: 16,
        peakUsed: 12,
        averageUsed: 7.25,
        peakUsedPct: 75,
        observedHours: 744,
      },
      {
        cluster: CLUSTER,
        namespace: 'vision-training',
        quota: 'mig-quota',
        resource: 'requests.nvidia.com/mig-1g.5gb',
        hard: null,
        peakUsed: 3,
        averageUsed: 1.5,
        peakUsedPct: null,
        observedHours: 744,
      },
    ],
  };
}

const options = { language: 'en' as const, baselinePercentile: 50 };

/** A team with `pods` pods and `projects` projects in one namespace (its quota's). */
function facts(team: string, pods: number, projects: number, namespaces = 1): TeamFacts {
  const entries = (prefix: string, size: number) =>
    Array.from({ length: size }, (_, i) => ({ key: `${prefix}-${i}`, units: 1000 - i, gpuHours: 5 }));
  return {
    rowCount: 40,
    totalUnits: 100_000,
    pods: entries(`${CLUSTER}/${team}-training/pod`, pods),
    projects: entries('project', projects),
    namespaces:
      namespaces === 1
        ? [{ key: `${CLUSTER}/${team}-training`, units: 5000, gpuHours: 50 }]
        : entries(`${CLUSTER}/${team}-ns`, namespaces),
  };
}

describe.skipIf(!hasPoppler)('GPUs held while idle and GPU quotas in the PDFs (issue #16)', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pdf-idle-held-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows idle-held GPU-hours and money per team, the worst 5 pods and the quota table', async () => {
    const { text } = textOf(await renderPdf(withIdleHeld(realisticSummary()), null, options));
    expect(text).toContain('GPUs held while idle');
    expect(text).toContain(
      'Pods that held GPUs below 5% utilization for longer than 15 minutes in a row: 42.5 GPU-hours costing $1,234.56, 7 pods.',
    );
    expect(text).toMatch(/Idle-held GPUs by team .*speech 30\.3 \$900\.00 5 vision 12\.3 \$334\.56 2/);
    expect(text).toMatch(/Worst pods .*speech-training\/idle-pod-1 speech 9\.0 \$400\.00/);
    expect(text).toContain('vision-training/idle-pod-5');
    expect(text).not.toContain('idle-pod-6');
    expect(text).toContain('GPU quota use by namespace');
    expect(text).toMatch(/speech-training requests\.nvidia\.com\/gpu 16 12 7\.3 75\.0%/);
    expect(text).toMatch(/vision-training requests\.nvidia\.com\/mig-1g\.5gb — 3 1\.5 —/);
  });

  it("lists each team's namespaces under it, most money first", async () => {
    const { text } = textOf(await renderPdf(withIdleHeld(realisticSummary()), null, options));
    expect(text).toMatch(
      /Idle-held GPUs by team and namespace .*speech speech-training 20\.3 \$700\.00 4 speech-eval 10\.0 \$200\.00 1 vision vision-training 12\.3 \$334\.56 2 Worst pods/,
    );
  });

  it('caps the namespace rows and says how many more there are, in English and Korean', async () => {
    const summary = withIdleHeld(realisticSummary());
    const speech = summary.idleHeld!.byTeam[0]!;
    speech.namespaces = Array.from({ length: 12 }, (_, i) => ({
      cluster: CLUSTER,
      namespace: `speech-ns-${i}`,
      gpuHours: 12 - i,
      cost: `${100 - i}.00`,
      pods: 1,
    }));
    // 13 team namespaces, 8 rows: 7 namespaces and the line for the other 6.
    const pages = textOfPages(await renderPdf(summary, null, options));
    const section = pages.filter((p) => p.includes('Idle-held GPUs by team and namespace'));
    expect(section).toHaveLength(1);
    expect(section[0]).toContain('speech-ns-6');
    expect(section[0]).not.toContain('speech-ns-7');
    expect(section[0]).toMatch(/speech-ns-6 6\.0 \$94\.00 1 … and 6 more Worst pods/);
    const ko = textOfPages(
      await renderPdf({ ...summary, currency: krwSummary().currency }, null, {
        language: 'ko',
        baselinePercentile: 50,
      }),
    ).join(' ');
    expect(ko).toContain(wordingFor('ko').idleHeld.byNamespace);
    expect(ko).toContain(fill(wordingFor('ko').common.andMore, { count: 6 }));
  });

  it('keeps the section on one page and tells apart two listed pods of the same name by UID', async () => {
    const summary = withIdleHeld(realisticSummary());
    const worst = summary.idleHeld!.worstPods;
    worst[1] = { ...worst[0]!, podUid: 'abcdef12-recreated', cost: '300.00' };
    const pages = textOfPages(await renderPdf(summary, null, options));
    const section = pages.filter((p) => p.includes('Worst pods') || p.includes('GPU quota use by namespace'));
    expect(section).toHaveLength(1);
    expect(section[0]).toContain('Idle-held GPUs by team');
    expect(section[0]).toContain('speech-training/idle-pod-1 (uid-1)');
    expect(section[0]).toContain('speech-training/idle-pod-1 (abcdef12)');
    expect(section[0]).not.toContain('idle-pod-2');
  });

  it('leaves the section out when the summary has neither block', async () => {
    const { text } = textOf(await renderPdf(realisticSummary(), null, options));
    expect(text).not.toContain('GPUs held while idle');
    expect(text).not.toContain('GPU quota use by namespace');
  });

  it('prints the section in Korean from the templates', async () => {
    const ko = wordingFor('ko').idleHeld;
    const en = wordingFor('en').idleHeld;
    const { text } = textOf(
      await renderPdf(withIdleHeld(krwSummary()), null, { language: 'ko', baselinePercentile: 50 }),
    );
    for (const s of [ko.title, ko.byTeam, ko.byNamespace, ko.worstPods, ko.quotas, ko.columns.hard])
      expect(text).toContain(s);
    for (const s of [en.title, en.byTeam, en.byNamespace, en.worstPods, en.quotas, en.columns.hard])
      expect(text).not.toContain(s);
    expect(text).toContain('GPU 사용률 5% 미만이 15분 넘게');
  });

  it("puts the team's idle-held GPUs and its namespaces' quota use on its one page", async () => {
    const summary = withIdleHeld(realisticSummary());
    const { pages, text } = textOf(
      await renderTeamPdf(summary, null, 'speech', facts('speech', 3, 1), options),
    );
    expect(pages).toBe(1);
    expect(text).toContain('Held while idle: 30.3 GPU-hours costing $900.00 (5 pods).');
    expect(text).toContain(
      'GPU quota of speech-training (requests.nvidia.com/gpu): peak 12 of 16 (75.0%), average 7.3.',
    );
    expect(text).not.toContain('vision-training (requests');
    // The footnote still closes the page.
    expect(text).toContain('COLUMNS.md');
  });

  it('keeps a busy team on one page: its tables list as many rows as fit, the biggest first', async () => {
    // 12 pods, 9 projects and 9 namespaces: the full tables (8 + 5 + 5 rows) ran onto a second page.
    const { pages, text } = textOf(
      await renderTeamPdf(
        withIdleHeld(realisticSummary()),
        null,
        'speech',
        facts('speech', 12, 9, 9),
        options,
      ),
    );
    expect(pages).toBe(1);
    for (const first of ['speech-training/pod-0', 'project-0', 'speech-ns-0']) expect(text).toContain(first);
    expect(text).not.toContain('pod-8');
    expect(text).toContain('COLUMNS.md');
  });

  it('keeps the idle-held line on a full page and lists one pod fewer instead', async () => {
    // 8 pods and 3 projects fill the page down to the footnote (this fitted on one page before the line);
    // before, the line was left out. The quota sentence is left out when it does not fit.
    const summary = withIdleHeld(realisticSummary());
    const { pages, text } = textOf(
      await renderTeamPdf(summary, null, 'speech', facts('speech', 8, 3), options),
    );
    expect(pages).toBe(1);
    expect(text).toContain('Held while idle: 30.3 GPU-hours costing $900.00 (5 pods).');
    expect(text).toContain('speech-training/pod-6');
    expect(text).not.toContain('speech-training/pod-7');
    expect(text).toContain('COLUMNS.md');
  });
});
