/**
 * Team file names are injective (issue #13, item 10): "ml/research" and a team literally named
 * "ml_research-<sha8("ml/research")>" never share a file, nor do "ML" and "ml" (one file on a
 * case-insensitive file system), and `get --team` finds each team's own CSV.
 */
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { getPublished } from '../../../src/app/getPublished.ts';
import { runMonthlyReport } from '../../../src/app/runMonthlyReport.ts';
import { safeFileName, teamFileNames } from '../../../src/core/safeName.ts';
import { readCsvObjects } from '../../support/csv.ts';
import { type FakePod, fakeClusterContext, fakeClusterSource } from '../../support/fakeCluster.ts';

const sha8 = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 8);
const IMPOSTOR = `ml_research-${sha8('ml/research')}`;

describe('safeFileName', () => {
  it('keeps a name that needs no change', () => {
    expect(safeFileName('ml-research')).toBe('ml-research');
    expect(safeFileName('Search.Ranking_2')).toBe('Search.Ranking_2');
  });

  it("keeps a name in the team's own script readable", () => {
    expect(safeFileName('추천')).toBe('추천');
    expect(safeFileName('検索ランキング')).toBe('検索ランキング');
    expect(safeFileName('café')).toBe('café');
    // Anything else in it still makes it a changed (hashed) name.
    expect(safeFileName('추천 팀')).toMatch(/^추천_팀-[0-9a-f]{8}$/);
    expect(safeFileName('\u202E추천')).toMatch(/^추천-[0-9a-f]{8}$/);
  });

  it('never gives two spellings of one name (NFC and NFD) the same file, nor a too long one', () => {
    const nfd = 'cafe\u0301';
    expect(safeFileName(nfd)).toMatch(/^café-[0-9a-f]{8}$/);
    expect(safeFileName(nfd)).not.toBe(safeFileName('café'));
    const names = teamFileNames(['café', nfd]);
    expect(new Set([...names.values()].map((n) => n.normalize('NFC').toLowerCase())).size).toBe(2);
    const long = safeFileName('팀'.repeat(300));
    expect(new TextEncoder().encode(`${long}.csv`).length).toBeLessThanOrEqual(255);
  });

  it('hashes a changed name, and a name that looks like a hashed one, so neither can take the other', () => {
    expect(safeFileName('ml/research')).toBe(IMPOSTOR);
    expect(safeFileName(IMPOSTOR)).toBe(`${IMPOSTOR}-${sha8(IMPOSTOR)}`);
    expect(safeFileName(IMPOSTOR)).not.toBe(safeFileName('ml/research'));
    expect(safeFileName('team-0123456789abcdef')).toMatch(/^team-0123456789abcdef-[0-9a-f]{8}$/);
  });
});

describe('teamFileNames', () => {
  it('gives teams equal ignoring case their own names, and leaves the others readable', () => {
    const names = teamFileNames(['ML', 'ml', 'search']);
    expect(names.get('search')).toBe('search');
    expect(names.get('ML')).toMatch(/^ML-[0-9a-f]{16}$/);
    expect(names.get('ml')).toMatch(/^ml-[0-9a-f]{16}$/);
    expect(names.get('ML')!.toLowerCase()).not.toBe(names.get('ml')!.toLowerCase());
  });

  it("never names a team like another team's CSV file: each team's pack folder is teams/<name>/", () => {
    const teams = ['vision', 'vision.csv', 'Vision.CSV', 'x.csv.csv'];
    const names = teamFileNames(teams);
    const files = new Set([...names.values()].map((n) => `${n}.csv`.toLowerCase()));
    for (const name of names.values()) expect(files.has(name.toLowerCase())).toBe(false);
    expect(names.get('vision')).toBe('vision');
    expect(names.get('vision.csv')).toMatch(/^vision\.csv-[0-9a-f]{8}$/);
  });

  it('is injective, ignoring case, over teams that imitate each other', () => {
    const teams = [
      'ml/research',
      IMPOSTOR,
      `${IMPOSTOR}-${sha8(IMPOSTOR)}`,
      'ML/Research',
      'ml_research',
      '',
      'x',
    ];
    const names = [...teamFileNames(teams).values()].map((n) => n.toLowerCase());
    expect(new Set(names).size).toBe(teams.length);
  });
});

describe('a month with imitating team names', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('publishes one file per team and get --team returns each team its own rows', async () => {
    // "vision.csv" would otherwise own a folder teams/vision.csv/ where team "vision" has its file.
    // "추천" and "café" keep their names; "cafe\u0301" (the same name in NFD) gets its own file.
    const teams = ['ml/research', IMPOSTOR, 'ML', 'ml', 'vision', 'vision.csv', '추천', 'café', 'cafe\u0301'];
    const pods: FakePod[] = teams.map((team, i) => ({
      namespace: `ns-${i}`,
      pod: `train-${i}`,
      uid: `uid-${i}`,
      node: 'gpu-1',
      team,
      gpus: 1,
      day: 2,
      fromHour: i,
      hours: 2,
    }));
    const source = fakeClusterSource([{ node: 'gpu-1', instanceType: 'p4d.24xlarge', gpus: 8 }], pods);
    const { ctx, cleanup } = await fakeClusterContext(source);
    cleanups.push(cleanup);

    const result = await runMonthlyReport(ctx, '2026-10');

    // The team CSVs themselves (the team pack's folders, teams/<file>/…, are tested in teamPack.test.ts).
    const teamKeys = result.keys.filter((k) => /^2026-10\/teams\/[^/]+\.csv$/.test(k));
    expect(teamKeys).toHaveLength(teams.length + 1); // and the platform team's idle
    expect(new Set(teamKeys.map((k) => k.toLowerCase())).size).toBe(teamKeys.length);
    for (const team of teams) {
      const file = await getPublished(ctx.store, { month: '2026-10', team, what: 'csv' });
      const rows = readCsvObjects(Buffer.from(file.body).toString('utf8'));
      expect(rows.length).toBeGreaterThan(0);
      expect(new Set(rows.map((r) => r.x_Team))).toEqual(new Set([team]));
      expect(file.fileName).toBe(`gpu-chargeback-2026-10-teams-${file.key.slice('2026-10/teams/'.length)}`);
    }
    expect(teamKeys).toContain('2026-10/teams/추천.csv');
    expect(teamKeys).toContain('2026-10/teams/café.csv');
  });
});
