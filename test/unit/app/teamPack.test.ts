/**
 * The team lead's pack (issue #16): for each team a one-page PDF and a readable CSV (UTF-8 with BOM, cost
 * and pod first, a total row) in teams/<team>/, and COLUMNS.md in the month's folder — all published as part
 * of the version and its manifest, and every team key covered by that team's IAM policy only.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../../src/app/manifest.ts';
import { runMonthlyReport } from '../../../src/app/runMonthlyReport.ts';
import type { AppContext } from '../../../src/app/context.ts';
import { BILLING_COLUMNS, CHARGEBACK_COLUMNS } from '../../../src/render/csv.ts';
import { TEAM_CSV_COLUMNS } from '../../../src/render/teamCsv.ts';
import { readCsvRecords } from '../../support/csv.ts';
import { type FakePod, fakeClusterContext, fakeClusterSource } from '../../support/fakeCluster.ts';

const MONTH = '2026-10';
const TEAMS = ['ml', '연구팀', '=HYPERLINK("x")'];

describe('the team pack', () => {
  let ctx: AppContext;
  let dir: string;
  let cleanup: () => Promise<void>;
  let keys: string[];
  const text = (key: string) => readFileSync(join(dir, key), 'utf8');

  beforeAll(async () => {
    // Three teams on one 8-GPU node: ml runs 2 pods (1 GPU for 10 h, 2 GPUs for 3 h), the others one each.
    const pods: FakePod[] = [
      {
        namespace: 'train',
        pod: 'big',
        uid: 'u1',
        node: 'gpu-1',
        team: 'ml',
        gpus: 1,
        day: 2,
        fromHour: 0,
        hours: 10,
      },
      {
        namespace: 'train',
        pod: 'small',
        uid: 'u2',
        node: 'gpu-1',
        team: 'ml',
        gpus: 2,
        day: 3,
        fromHour: 0,
        hours: 3,
      },
      {
        namespace: 'nlp',
        pod: 'ko',
        uid: 'u3',
        node: 'gpu-1',
        team: TEAMS[1]!,
        gpus: 1,
        day: 2,
        fromHour: 0,
        hours: 4,
      },
      {
        namespace: 'x',
        pod: 'f',
        uid: 'u4',
        node: 'gpu-1',
        team: TEAMS[2]!,
        gpus: 1,
        day: 4,
        fromHour: 0,
        hours: 1,
      },
    ];
    const source = fakeClusterSource([{ node: 'gpu-1', instanceType: 'p4d.24xlarge', gpus: 8 }], pods);
    ({ ctx, dir, cleanup } = await fakeClusterContext(source, { report: { budgets: { ml: 100 } } }));
    keys = (await runMonthlyReport(ctx, MONTH)).keys;
  });
  afterAll(async () => cleanup());

  /** The readable CSV of `team`: in the folder named like the team's FOCUS-aligned CSV (teams/<file>.csv). */
  const packOf = (team: string): string => {
    const csv = keys.find((k) => {
      if (!/^2026-10\/teams\/[^/]+\.csv$/.test(k)) return false;
      const [header, first] = readCsvRecords(text(k));
      return first![header!.indexOf('x_Team')] === team;
    })!;
    return `${csv.slice(0, -'.csv'.length)}/costs.csv`;
  };

  it('publishes a PDF and a readable CSV per team and COLUMNS.md, all in the version and its manifest', async () => {
    const manifest = (await readManifest(ctx.store, MONTH))!;
    const listed = new Set(manifest.files.map((f) => f.key));
    const teamFiles = keys.filter((k) => /^2026-10\/teams\/[^/]+\.csv$/.test(k));
    expect(teamFiles).toHaveLength(TEAMS.length + 1); // and the platform team's idle
    for (const file of teamFiles) {
      const folder = file.slice(0, -'.csv'.length);
      expect(listed.has(`${folder}/report.pdf`), folder).toBe(true);
      expect(listed.has(`${folder}/costs.csv`), folder).toBe(true);
    }
    expect(listed.has(`${MONTH}/COLUMNS.md`)).toBe(true);
    for (const f of manifest.files)
      expect(f.object).toBe(`${MONTH}/versions/${manifest.versionId}/${f.key.slice(MONTH.length + 1)}`);
  });

  it('writes the readable CSV with a BOM, cost and pod first, the largest line first and a total row', () => {
    const ml = packOf('ml');
    const raw = text(ml);
    expect(raw.charCodeAt(0)).toBe(0xfeff);
    const [header, ...records] = readCsvRecords(raw.slice(1));
    expect(header).toEqual([...TEAM_CSV_COLUMNS]);
    expect(header!.slice(0, 3)).toEqual(['Cost', 'Currency', 'Pod']);
    const lines = records.slice(0, -1);
    const total = records.at(-1)!;
    // 10 GPU-h and 6 GPU-h at 32/8 = 4 per GPU-hour.
    expect(lines.map((r) => [r[0], r[2], r[7]])).toEqual([
      ['40.00', 'big', '10'],
      ['24.00', 'small', '6'],
    ]);
    expect(total.slice(0, 3)).toEqual(['64.00', 'USD', 'TOTAL (2 line items)']);
    expect(total[7]).toBe('16');
  });

  it('keeps Korean names readable and neutralizes formulas in the readable CSV', () => {
    const korean = readCsvRecords(text(packOf(TEAMS[1]!)).slice(1));
    expect(korean[1]!.slice(2, 4)).toEqual(['ko', 'nlp']);
    const formula = keys
      .filter((k) => k.endsWith('/costs.csv'))
      .map((k) => text(k))
      .join('');
    expect(formula).not.toMatch(/(^|,)=HYPERLINK/m);
  });

  it('explains every column of the readable and the FOCUS-aligned CSVs in COLUMNS.md', () => {
    const doc = text(`${MONTH}/COLUMNS.md`);
    for (const column of [...TEAM_CSV_COLUMNS, ...CHARGEBACK_COLUMNS, ...BILLING_COLUMNS]) {
      expect(doc, column).toContain(`| \`${column}\` |`);
    }
    expect(doc).toMatch(/`ConsumedQuantity` vs\s+`x_BillableGpuHours`/);
    expect(doc).toContain('`PricingCategory=Dynamic` is Spot');
  });

  it("covers each team's pack with its own IAM policy, and no other team's", () => {
    const policy = JSON.parse(readFileSync('docs/iam/team-lead-read-own-csv.json', 'utf8')) as {
      Statement: { Sid: string; Resource: string | string[] }[];
    };
    const resources = [policy.Statement.find((s) => s.Sid === 'ReadOwnTeamChargebackCsv')!.Resource].flat();
    // S3 ARN wildcards: * matches any characters, "/" included.
    const allows = (tag: string, key: string) =>
      resources.some((r) => {
        const pattern = r
          .replace('arn:aws:s3:::REPORT-BUCKET/gpu-chargeback/', '')
          .replace('${aws:PrincipalTag/team}', tag);
        const regex = new RegExp(
          `^${pattern
            .split('*')
            .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
        );
        return regex.test(key);
      });
    const folders = keys
      .filter((k) => /^2026-10\/teams\/[^/]+\.csv$/.test(k))
      .map((k) => k.slice(`${MONTH}/teams/`.length, -'.csv'.length));
    for (const folder of folders) {
      const own = keys.filter(
        (k) => k === `${MONTH}/teams/${folder}.csv` || k.startsWith(`${MONTH}/teams/${folder}/`),
      );
      expect(own).toHaveLength(3);
      for (const key of [...own, `${MONTH}/COLUMNS.md`]) expect(allows(folder, key), key).toBe(true);
      const others = keys.filter((k) => k.includes('/teams/') && !own.includes(k));
      for (const key of others) expect(allows(folder, key), `${folder} reads ${key}`).toBe(false);
      expect(allows(folder, `${MONTH}/chargeback.csv`)).toBe(false);
    }
  });

  it.skipIf(spawnSync('pdftotext', ['-v']).error !== undefined)(
    "renders each team's month on one page",
    () => {
      const pdfKey = packOf('ml').replace('/costs.csv', '/report.pdf');
      const file = join(dir, pdfKey);
      const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
      expect(info).toMatch(/Pages:\s+1\n/);
      const page = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }).replace(
        /\s+/g,
        ' ',
      );
      expect(page).toContain('ml · October 2026');
      expect(page).toContain('ml spent $64.00 on GPUs in October 2026');
      expect(page).toContain('That is $36.00 under its budget of $100.00.');
      expect(page).toMatch(/Top pods by cost .*train\/big 10 \$40\.00 62\.5% train\/small 6 \$24\.00 37\.5%/);
    },
  );
});
