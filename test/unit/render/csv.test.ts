import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trimTrailingZeros } from '../../../src/core/money.ts';
import { billingPeriod } from '../../../src/core/period.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import {
  CHARGEBACK_COLUMNS,
  chargebackAndTeamCsvChunks,
  chargebackCsvChunks,
  csvMetaFromSummary,
  neutralizeFormula,
  rowsByTeam,
  teamChargebackCsvs,
  numberCell,
  writeChargebackAndTeamCsvs,
} from '../../../src/render/csv.ts';
import {
  CATALOG,
  meteredDay,
  nodeUsage,
  parseConfig,
  podUsage,
  priceOptions,
  wholeDay,
} from '../../support/meteredFixture.ts';
import { readCsvRecords as parseCsv } from '../../support/csv.ts';
import { keys } from '../../../src/app/context.ts';
import { safeFileName } from '../../../src/core/safeName.ts';

/** The whole chargeback CSV as one string (the product only ever streams it). */
const renderChargebackCsv = (...args: Parameters<typeof chargebackCsvChunks>) =>
  [...chargebackCsvChunks(...args)].join('');

const period = billingPeriod('2026-03', 'Asia/Seoul');
const day = period.days[0]!;
const cp = wholeDay(day);
const HOSTILE = [
  "=cmd|' /C calc'!A0",
  '+1',
  '-2',
  '@SUM(1)',
  '\tTab',
  '\rCR',
  'a "quoted", comma\nand newline',
];

function hostileMonth() {
  const pods = HOSTILE.map((name, i) =>
    podUsage(cp, {
      pod: { namespace: name, pod: `p${i}`, uid: `u${i}` },
      node: 'n',
      team: i % 2 === 0 ? name : 'ml',
      project: name,
      heldSeconds: 3600 * (i + 1),
    }),
  );
  const config = parseConfig({ timezone: 'Asia/Seoul', pricing: { instanceTypes: CATALOG } });
  const nodes = [nodeUsage(cp, { node: 'n', instanceType: 'g5.12xlarge', gpus: 4 }, pods)];
  return priceMonth([meteredDay(day, pods, nodes)], priceOptions(period, config));
}

describe('chargeback CSV', () => {
  const { rows, summary } = hostileMonth();
  const meta = csvMetaFromSummary(summary, period);
  const csv = renderChargebackCsv(rows, meta);
  const records = parseCsv(csv);
  const column = (name: (typeof CHARGEBACK_COLUMNS)[number]) => CHARGEBACK_COLUMNS.indexOf(name);

  it('starts with exactly the contract header', () => {
    expect(csv.slice(0, csv.indexOf('\r\n'))).toBe(CHARGEBACK_COLUMNS.join(','));
    expect(CHARGEBACK_COLUMNS.join(',')).toBe(
      'BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,BillingCurrency,EffectiveCost,ListCost,' +
        'PricingCategory,ConsumedQuantity,ConsumedUnit,ResourceId,SkuId,ChargeCategory,ChargeClass,x_Cluster,x_Team,' +
        'x_Project,x_Namespace,x_Pod,x_PodUid,x_GpuModel,x_GpuResource,x_GpuEquivalents,x_GpuUtilizationPct,' +
        'x_BillableGpuHours,x_UnitPrice,x_CostComponent,x_DataCoveragePct,x_UtilizationPolicy,x_IdlePolicy,' +
        'x_PriceFallback,x_PriceCatalogVersion,x_Source,SubAccountId,RegionId',
    );
  });

  it('writes one record per row, every record as wide as the header', () => {
    expect(records.length).toBe(rows.length + 1);
    expect(new Set(records.map((r) => r.length))).toEqual(new Set([CHARGEBACK_COLUMNS.length]));
  });

  it('neutralizes formula-looking label values with a leading quote', () => {
    const namespaces = records.slice(1).map((r) => r[column('x_Namespace')]);
    for (const expected of ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(1)", "'\tTab", "'\rCR"]) {
      expect(namespaces).toContain(expected);
    }
  });

  it('round-trips quotes, commas and newlines through an RFC 4180 reader', () => {
    expect(records.slice(1).map((r) => r[column('x_Project')])).toContain('a "quoted", comma\nand newline');
  });

  it('quotes a lone LF or CR so a reader cannot split the record', () => {
    expect(csv).toContain('"\'\rCR"');
  });

  it('keeps numeric columns unprefixed numbers', () => {
    for (const record of records.slice(1)) {
      for (const name of [
        'EffectiveCost',
        'ListCost',
        'ConsumedQuantity',
        'x_BillableGpuHours',
        'x_UnitPrice',
      ] as const) {
        expect(record[column(name)]).toMatch(/^\d+(\.\d+)?$/);
      }
    }
  });

  it('writes timestamps with the zone offset and the month-level columns', () => {
    const first = records[1]!;
    expect([first[0], first[1], first[2], first[3], first[4]]).toEqual([
      '2026-03-01T00:00:00+09:00',
      '2026-04-01T00:00:00+09:00',
      '2026-03-01T00:00:00+09:00',
      '2026-03-02T00:00:00+09:00',
      'USD',
    ]);
    expect([
      first[column('ConsumedUnit')],
      first[column('ChargeCategory')],
      first[column('x_Source')],
    ]).toEqual(['GPU-Hours', 'Usage', 'demo']);
  });

  it('sums EffectiveCost to the summary total', () => {
    const cents = records
      .slice(1)
      .reduce((s, r) => s + Math.round(Number(r[column('EffectiveCost')]) * 100), 0);
    expect((cents / 100).toFixed(2)).toBe(summary.totals.cost);
  });

  it('is byte-identical for identical input, and the chunks join to the whole file', () => {
    const again = hostileMonth();
    expect(renderChargebackCsv(again.rows, csvMetaFromSummary(again.summary, period))).toBe(csv);
    expect([...chargebackCsvChunks(rows, meta)].join('')).toBe(csv);
  });

  it('writes ChargeClass Correction when the meta says so', () => {
    const corrected = parseCsv(renderChargebackCsv(rows, { ...meta, chargeClass: 'Correction' }));
    expect(new Set(corrected.slice(1).map((r) => r[column('ChargeClass')]))).toEqual(new Set(['Correction']));
  });

  it('writes per-team files with only that team’s rows, summing to the team total', () => {
    const files = teamChargebackCsvs(rows, meta);
    expect(files.map((f) => f.team)).toEqual([...summary.byTeam.map((t) => t.key)].sort());
    for (const file of files) {
      const teamRecords = parseCsv([...file.chunks].join('')).slice(1);
      expect(new Set(teamRecords.map((r) => r[column('x_Team')]))).toEqual(
        new Set([neutralizeFormula(file.team)]),
      );
      const cents = teamRecords.reduce((s, r) => s + Math.round(Number(r[column('EffectiveCost')]) * 100), 0);
      expect((cents / 100).toFixed(2)).toBe(summary.byTeam.find((t) => t.key === file.team)!.cost);
    }
    expect(keys.teamCsv('2026-03', safeFileName(files.find((f) => f.team.startsWith('='))!.team))).toMatch(
      /^2026-03\/teams\/cmd_C_calc_A0-[0-9a-f]{8}\.csv$/,
    );
  });
});

describe('the chargeback CSV and the team CSVs from one encoding of each record', () => {
  /** 450 pods (more than two chunks of records) of 7 teams, hostile names among them, on 3 nodes. */
  function largerMonth() {
    const pods = Array.from({ length: 450 }, (_, i) =>
      podUsage(cp, {
        pod: { namespace: HOSTILE[i % HOSTILE.length]!, pod: `p${i}-팀`, uid: `u${i}` },
        node: `n${i % 3}`,
        team: i % 7 === 0 ? HOSTILE[i % HOSTILE.length]! : `team-${i % 5}`,
        heldSeconds: 30 * ((i % 20) + 1),
        utilization: i % 4 === 0 ? null : (i % 100) / 100,
      }),
    );
    const config = parseConfig({
      timezone: 'Asia/Seoul',
      pricing: { instanceTypes: CATALOG },
      allocation: { utilization: { mode: 'utilization' }, idle: { mode: 'share-by-node' } },
    });
    const nodes = [0, 1, 2].map((n) =>
      nodeUsage(
        cp,
        { node: `n${n}`, instanceType: 'g5.12xlarge', gpus: 4 },
        pods.filter((_, i) => i % 3 === n),
      ),
    );
    return priceMonth([meteredDay(day, pods, nodes)], priceOptions(period, config));
  }

  it('writes exactly the bytes of the chargeback CSV and of every team file, also with billing columns and a correction', () => {
    for (const { rows, summary } of [hostileMonth(), largerMonth()]) {
      const plain = csvMetaFromSummary(summary, period);
      const metas = [
        plain,
        { ...plain, chargeClass: 'Correction' as const, billing: true, clusters: { '': { accountId: '1' } } },
      ];
      for (const meta of metas) {
        const teams = rowsByTeam(rows);
        const written = [...teams.keys()].map(() => [] as string[]);
        const chunks = chargebackAndTeamCsvChunks(rows, meta, teams, (t, text) => written[t]!.push(text));
        expect([...chunks].join('')).toBe([...chargebackCsvChunks(rows, meta)].join(''));
        const expected = teamChargebackCsvs(rows, meta).map((f) => [...f.chunks].join(''));
        expect(written.map((texts) => texts.join(''))).toEqual(expected);
        expect(expected.length).toBeGreaterThan(1);
      }
    }
    expect(largerMonth().rows.length).toBeGreaterThan(400);
  });

  it('writes record by record (writeChargebackAndTeamCsvs) exactly the bytes of the chunks, team files and records seen', () => {
    for (const { rows, summary } of [hostileMonth(), largerMonth()]) {
      const plain = csvMetaFromSummary(summary, period);
      for (const meta of [plain, { ...plain, chargeClass: 'Correction' as const, billing: true }]) {
        const teams = rowsByTeam(rows);
        const seen =
          (out: string[][]) => (row: number, team: number, fields: readonly string[], start: number) =>
            out.push([String(row), String(team), ...fields.slice(start, start + CHARGEBACK_COLUMNS.length)]);
        const chunked = { teams: [...teams.keys()].map(() => [] as string[]), records: [] as string[][] };
        const all = [
          ...chargebackAndTeamCsvChunks(
            rows,
            meta,
            teams,
            (t, text) => chunked.teams[t]!.push(text),
            seen(chunked.records),
          ),
        ].join('');
        const written = {
          all: [] as string[],
          teams: [...teams.keys()].map(() => [] as string[]),
          records: [] as string[][],
        };
        writeChargebackAndTeamCsvs(
          rows,
          meta,
          teams,
          (text) => written.all.push(text),
          (t, text) => written.teams[t]!.push(text),
          seen(written.records),
        );
        expect(written.all.join('')).toBe(all);
        // One text per record, the header first.
        expect(written.all).toHaveLength(rows.length + 1);
        expect(written.teams.map((texts) => texts.join(''))).toEqual(
          chunked.teams.map((texts) => texts.join('')),
        );
        expect(written.records).toEqual(chunked.records);
        expect(written.records).toHaveLength(rows.length);
      }
    }
  });

  it('refuses teams that leave a row out', () => {
    const { rows, summary } = hostileMonth();
    const teams = rowsByTeam(rows);
    const [first] = teams.keys();
    teams.delete(first!);
    const chunks = chargebackAndTeamCsvChunks(rows, csvMetaFromSummary(summary, period), teams, () => {});
    expect(() => [...chunks]).toThrow(RangeError);
  });
});

describe('neutralizeFormula', () => {
  it('prefixes cells starting with = + - @ tab or CR and leaves others alone', () => {
    expect(['=1', '+1', '-1', '@a', '\tx', '\rx', 'ml', '', "'x", ' =1'].map(neutralizeFormula)).toEqual([
      "'=1",
      "'+1",
      "'-1",
      "'@a",
      "'\tx",
      "'\rx",
      'ml',
      '',
      "'x",
      ' =1',
    ]);
  });
});

describe('FOCUS SubAccountId and RegionId', () => {
  it('fills the mapped account and region of each row cluster, and leaves unmapped clusters empty', () => {
    const { rows, summary } = hostileMonth();
    const meta = csvMetaFromSummary(summary, period);
    const mapped = parseCsv(
      renderChargebackCsv(rows, {
        ...meta,
        clusters: { '': { accountId: '123456789012', region: 'ap-northeast-2' } },
      }),
    );
    const [header, ...body] = mapped;
    const account = header!.indexOf('SubAccountId');
    const region = header!.indexOf('RegionId');
    expect([account, region]).toEqual([header!.length - 2, header!.length - 1]);
    expect(body.length).toBe(rows.length);
    for (const record of body)
      expect([record[account], record[region]]).toEqual(['123456789012', 'ap-northeast-2']);
    for (const record of parseCsv(renderChargebackCsv(rows, meta)).slice(1)) {
      expect([record[account], record[region]]).toEqual(['', '']);
    }
  });
});

describe('numberCell', () => {
  /** numberCell as it was before whole numbers skipped toFixed: the text it must keep. */
  const reference = (value: number, decimals = 6): string => {
    if (!Number.isFinite(value)) return '';
    const factor = 10 ** decimals;
    const rounded = Math.round(value * factor) / factor;
    if (rounded === 0) return '0';
    return trimTrailingZeros(rounded.toFixed(decimals));
  };

  it('prints every number as toFixed and trimming printed it, whole numbers included (property)', () => {
    const value = fc.oneof(
      fc.double({ noNaN: false }),
      fc.integer({ min: -1_000_000, max: 1_000_000 }),
      fc.integer({ min: 0, max: 10_000 }).map((n) => n * 30),
      fc.constantFrom(2 ** 53 - 1, 2 ** 53, 2 ** 60, -(2 ** 60), 1e21, 100, 1000, -0, 0.5, 2.0000001),
    );
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 8 }), (v, decimals) => {
        expect(numberCell(v, decimals)).toBe(reference(v, decimals));
        expect(numberCell(v)).toBe(reference(v));
      }),
      { numRuns: 3_000 },
    );
  });
});
