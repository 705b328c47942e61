/**
 * One label value must not stop or skew billing (issue #13, item 9). Label values — team, project,
 * namespace, pod, node, cluster, instance type, GPU model, capacity-type value — are drawn from the names
 * Object.prototype answers to ("constructor", "__proto__", …) and from hostile strings (NUL, U+0001,
 * separators, formula prefixes, bidi overrides), then the whole month runs: metering from observations,
 * the month stage, and every renderer (chargeback and team CSVs, usage.csv, nodes.csv, summary.json, the
 * PDF). The month must complete, and money must be conserved to the cent against an independent oracle.
 */
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { priceMonthOptionsFor } from '../../../src/app/priceOptions.ts';
import { meterOptionsFor } from '../../../src/app/meterOptions.ts';
import { type Config, configSchema, type ConfigInput } from '../../../src/config/schema.ts';
import { gridForDay, meterWindow } from '../../../src/core/metering/index.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import { billingPeriod } from '../../../src/core/period.ts';
import type { MeteredDay, NodeUsage, PodRef, WindowObservations } from '../../../src/core/types.ts';
import {
  chargebackCsvChunks,
  csvMetaFromSummary,
  neutralizeFormula,
  teamChargebackCsvs,
} from '../../../src/render/csv.ts';
import { renderPdf } from '../../../src/render/pdf/renderPdf.ts';
import { renderSummaryJson } from '../../../src/render/summaryJson.ts';
import { nodesCsvChunks, usageCsvChunks } from '../../../src/render/tables.ts';
import { readCsvObjects } from '../../support/csv.ts';

const D = Decimal.clone({ precision: 60 });
/** Runs of the property; docs/reliability.md quotes this number. */
export const HOSTILE_MONTH_RUNS = 150;

/** Names a plain object inherits, and other strings that have hurt keyed lookups. */
const PROTOTYPE_NAMES = [
  'constructor',
  'toString',
  '__proto__',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
  'prototype',
  'length',
  'then',
];

/** A label value: a prototype name, a string of harmful characters, or anything. */
const labelValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.constantFrom(
          '\u0000',
          '\u0001',
          '/',
          '\\',
          '..',
          '=',
          '+',
          '-',
          '@',
          ',',
          '"',
          '\n',
          '\u202E',
          '팀',
          'a',
          '_',
          '1',
        ),
        { minLength: 1, maxLength: 8 },
      )
      .map((parts) => parts.join('')),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }) },
);

const day = billingPeriod('2026-03', 'UTC').days[0]!;
const period = billingPeriod('2026-03', 'UTC');
const SCRAPE = { kubeStateMetricsSeconds: 300, dcgmSeconds: null, source: 'config' as const };
const HOUR = 3_600_000;

interface HostileMonth {
  clusters: string[];
  nodes: { name: string; cluster: number; instanceType: string; model: string; capacityValue: string }[];
  pods: {
    cluster: number;
    node: number;
    namespace: string;
    name: string;
    team: string;
    project: string;
    gpus: number;
    fromHour: number;
    hours: number;
  }[];
  /** Team names (besides "__proto__", which a config cannot key) that get a budget. */
  budgetTeams: string[];
}

const hostileMonth: fc.Arbitrary<HostileMonth> = fc
  .record({
    clusters: fc.uniqueArray(labelValue, { minLength: 1, maxLength: 2 }),
    nodeNames: fc.uniqueArray(labelValue, { minLength: 4, maxLength: 4 }),
    instanceTypes: fc.array(labelValue, { minLength: 4, maxLength: 4 }),
    models: fc.array(labelValue, { minLength: 4, maxLength: 4 }),
    capacityValues: fc.array(labelValue, { minLength: 4, maxLength: 4 }),
    pods: fc.array(
      fc.record({
        cluster: fc.nat(1),
        node: fc.nat(3),
        namespace: labelValue,
        name: labelValue,
        team: labelValue,
        project: labelValue,
        gpus: fc.integer({ min: 1, max: 2 }),
        fromHour: fc.integer({ min: 0, max: 20 }),
        hours: fc.integer({ min: 1, max: 4 }),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    budgetTeams: fc.uniqueArray(labelValue, { maxLength: 3 }),
  })
  .map((m) => ({
    clusters: m.clusters,
    // With two clusters, nodes alternate between them; names are unique.
    nodes: m.nodeNames.map((name, i) => ({
      name,
      cluster: m.clusters.length > 1 ? i % 2 : 0,
      instanceType: m.instanceTypes[i]!,
      model: m.models[i]!,
      capacityValue: m.capacityValues[i]!,
    })),
    pods: m.pods,
    budgetTeams: m.budgetTeams.filter((t) => t !== '__proto__'),
  }));

/**
 * The config of a month, every table keyed by label values: node 0's instance type in the global catalog,
 * node 1's GPU model (GPU feature discovery product) priced on-prem, node 2's instance type in its
 * cluster's catalog, node 3 on the fallback price; node 3's capacity-type value means Spot; budgets and
 * cluster accounts by hostile names. A config cannot key "__proto__" (those entries are left out).
 */
function configOf(m: HostileMonth): Config {
  const [n0, n1, n2, n3] = m.nodes as [
    HostileMonth['nodes'][number],
    HostileMonth['nodes'][number],
    HostileMonth['nodes'][number],
    HostileMonth['nodes'][number],
  ];
  const table = <T>(entries: [string, T][]) => Object.fromEntries(entries.filter(([k]) => k !== '__proto__'));
  const input: ConfigInput = {
    timezone: 'UTC',
    source: { url: 'http://prom.test:9090', clusterLabel: 'cluster' },
    metering: {
      nodeLabels: {
        capacityType: ['label_pool'],
        capacityTypeValues: { label_pool: table([[n3.capacityValue, 'spot' as const]]) },
      },
      physicalGpus: [{ nodeLabel: 'label_rack', value: 'onprem', gpus: 4 }],
    },
    pricing: {
      catalogVersion: 'hostile',
      instanceTypes: table([[n0.instanceType, { gpus: 4, gpuModel: n0.model, onDemand: 4.4, spot: 4.4 }]]),
      byCluster: table([
        [
          m.clusters[n2.cluster]!,
          {
            instanceTypes: table([
              [n2.instanceType, { gpus: 4, gpuModel: 'A10G', onDemand: 2.2, spot: 2.2 }],
            ]),
          },
        ],
      ]),
      gpuModels: table([[n1.model, { perGpuHour: 0.75 }]]),
      fallback: { onDemandPerGpuHour: 1.25, gpuModel: 'unknown' },
    },
    report: { budgets: table(m.budgetTeams.map((t, i) => [t, 100 + i])) },
    clusters: table(m.clusters.map((c) => [c, { accountId: '123456789012', region: 'us-east-1' }])),
  };
  return configSchema.parse(input);
}

/** The day's observations: every node present all day with 4 GPUs; each pod Running for its hours. */
function observationsOf(m: HostileMonth): WindowObservations {
  const grid = gridForDay(day, SCRAPE, 3600);
  const points = (fromMs: number, toMs: number) => {
    const out: number[] = [];
    for (let t = grid.startMs + grid.stepMs; t <= grid.endMs; t += grid.stepMs)
      if (t - grid.stepMs >= fromMs && t <= toMs) out.push(t);
    return out;
  };
  const all = points(grid.startMs, grid.endMs);
  const refs: PodRef[] = m.pods.map((p, i) => ({
    cluster: m.clusters[Math.min(p.cluster, m.clusters.length - 1)]!,
    namespace: p.namespace,
    pod: p.name,
    uid: `${p.name}-uid-${i}`,
  }));
  return {
    grid,
    running: m.pods.map((p, i) => ({
      pod: refs[i]!,
      tsMs: points(day.startMs + p.fromHour * HOUR, day.startMs + (p.fromHour + p.hours) * HOUR),
    })),
    pendingOnNode: [],
    requests: m.pods.map((p, i) => ({
      pod: refs[i]!,
      container: 'main',
      resource: 'nvidia_com_gpu',
      value: p.gpus,
    })),
    // Pods run on a node of their own cluster (the node index picks among that cluster's nodes).
    podNodes: m.pods.map((p, i) => {
      const inCluster = m.nodes.filter((n) => m.clusters[n.cluster] === refs[i]!.cluster);
      return { pod: refs[i]!, node: inCluster[p.node % inCluster.length]!.name };
    }),
    podLabels: m.pods.map((p, i) => ({ pod: refs[i]!, labels: { label_team: p.team } })),
    namespaceLabels: m.pods.map((p, i) => ({
      cluster: refs[i]!.cluster,
      namespace: p.namespace,
      labels: { label_project: p.project, label_team: p.project },
    })),
    nodeLabels: m.nodes.map((n, i) => ({
      cluster: m.clusters[n.cluster]!,
      node: n.name,
      labels: {
        label_node_kubernetes_io_instance_type: n.instanceType,
        label_pool: n.capacityValue,
        ...(i === 1 ? { label_nvidia_com_gpu_product: `NVIDIA-${n.model}` } : {}),
        ...(i === 1 || i === 3 ? { label_rack: 'onprem' } : {}),
      },
    })),
    nodeCapacity: m.nodes.map((n) => ({
      cluster: m.clusters[n.cluster]!,
      node: n.name,
      resource: 'nvidia_com_gpu',
      points: all.map((t) => [t, 4] as [number, number]),
    })),
    nodePresence: m.nodes.map((n) => ({ cluster: m.clusters[n.cluster]!, node: n.name, tsMs: all })),
    initRequests: [],
    sidecars: [],
    draDevices: [],
    utilization: [],
    ksmPresentTsMs: all,
    dcgmPresentTsMs: [],
    scrape: SCRAPE,
  };
}

/** The oracle's per-GPU-hour price of a node-period, from the config alone (own entries only). */
function oraclePerGpuHour(config: Config, node: NodeUsage): Decimal {
  const own = <T>(record: Record<string, T>, key: string) =>
    Object.hasOwn(record, key) ? record[key] : undefined;
  const clusterEntry = own(config.pricing.byCluster, node.cluster);
  const entry =
    (clusterEntry ? own(clusterEntry.instanceTypes, node.instanceType) : undefined) ??
    own(config.pricing.instanceTypes, node.instanceType);
  if (entry) return new D(entry.onDemand).div(entry.gpus);
  if (node.gpuModel) {
    const upper = node.gpuModel.toUpperCase();
    const key = own(config.pricing.gpuModels, node.gpuModel)
      ? node.gpuModel
      : Object.keys(config.pricing.gpuModels)
          .filter((k) => upper.startsWith(k.toUpperCase()))
          .sort((a, b) => b.length - a.length)[0];
    if (key !== undefined) return new D(config.pricing.gpuModels[key]!.perGpuHour);
  }
  return new D(config.pricing.fallback!.onDemandPerGpuHour);
}

function cents(text: string): bigint {
  return BigInt(new D(text).times(100).toFixed(0));
}

/** Everything a month run produces, as text. */
async function runMonth(config: Config, metered: MeteredDay) {
  const { rows, summary } = priceMonth(
    [metered],
    priceMonthOptionsFor(config, period, { kind: 'prometheus', description: 'hostile labels' }),
  );
  const meta = { ...csvMetaFromSummary(summary, period), clusters: config.clusters };
  const chargeback = [...chargebackCsvChunks(rows, meta)].join('');
  const teams = teamChargebackCsvs(rows, meta).map((f) => ({ team: f.team, text: [...f.chunks].join('') }));
  const usage = [...usageCsvChunks([metered], 'UTC')].join('');
  const nodes = [...nodesCsvChunks([metered], 'UTC')].join('');
  const json = renderSummaryJson(summary);
  return { rows: [...rows], summary, chargeback, teams, usage, nodes, json };
}

describe('hostile label values through the whole month (property)', () => {
  it('completes the month, conserves money to the cent and keeps every label in its own place', async () => {
    let pdfs = 0;
    await fc.assert(
      fc.asyncProperty(hostileMonth, fc.boolean(), async (m, withPdf) => {
        const config = configOf(m);
        const metered = meterWindow(observationsOf(m), meterOptionsFor(config, day));
        const out = await runMonth(config, metered);

        // Money: the rows, the teams and the total agree to the cent with the machines, priced by the oracle.
        let exact = new D(0);
        for (const node of metered.nodes)
          exact = exact.plus(oraclePerGpuHour(config, node).times(node.capacityGpuSeconds).div(3600));
        const oracleCents = BigInt(exact.times(100).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toFixed(0));
        const rowCents = out.rows.reduce((s, r) => s + cents(r.effectiveCost), 0n);
        expect(rowCents).toBe(oracleCents);
        expect(cents(out.summary.totals.cost)).toBe(oracleCents);
        expect(out.summary.reconciliation.difference).toBe('0.00');
        expect(out.summary.reconciliation.machines?.difference).toBe('0.00');
        const byTeam = new Map<string, bigint>();
        for (const r of out.rows) byTeam.set(r.team, (byTeam.get(r.team) ?? 0n) + cents(r.effectiveCost));
        for (const t of out.summary.byTeam) expect(cents(t.cost)).toBe(byTeam.get(t.key) ?? 0n);

        // Attribution: each pod's rows carry its own team (or the default bucket for an empty label).
        for (const r of out.rows.filter((row) => row.component === 'Direct')) {
          const pod = m.pods.find((p, i) => r.podUid === `${p.name}-uid-${i}`)!;
          expect(r.team).toBe(pod.team === '' ? 'unallocated' : pod.team);
          expect(r.namespace).toBe(pod.namespace);
        }

        // Budgets: a team has one exactly when the config gives it one.
        for (const t of out.summary.byTeam) {
          const budget = Object.hasOwn(config.report.budgets, t.key)
            ? config.report.budgets[t.key]
            : undefined;
          expect(t.budget === null ? null : Number(t.budget)).toBe(budget ?? null);
        }

        // summary.json: valid JSON, no null money, the day's teams as own keys.
        const parsed = JSON.parse(out.json) as {
          totals: Record<string, unknown>;
          byDay: { byTeam: Record<string, string> }[];
          hourlyAllocatedGpus: Record<string, number[]>;
        };
        for (const [k, v] of Object.entries(parsed.totals))
          if (k !== 'utilizationPct') expect(v).not.toBeNull();
        const dayTeams = Object.keys(parsed.byDay[0]!.byTeam).sort();
        expect(dayTeams).toEqual([...byTeam.keys()].sort());
        for (const n of metered.nodes)
          expect(Object.hasOwn(parsed.hourlyAllocatedGpus, n.instanceType)).toBe(true);
        expect(Object.getPrototypeOf(parsed.byDay[0]!.byTeam)).toBe(Object.prototype);

        // CSVs: every file reads back, row for row, with each label in its own cell and no NaN/Infinity.
        const records = readCsvObjects(out.chargeback);
        expect(records).toHaveLength(out.rows.length);
        records.forEach((rec, i) => {
          expect(rec.x_Team).toBe(neutralizeFormula(out.rows[i]!.team));
          expect(rec.x_Namespace).toBe(neutralizeFormula(out.rows[i]!.namespace));
          expect(rec.x_Cluster).toBe(neutralizeFormula(out.rows[i]!.cluster));
        });
        expect(out.teams.map((t) => t.team).sort()).toEqual([...byTeam.keys()].sort());
        for (const t of out.teams) {
          for (const rec of readCsvObjects(t.text)) expect(rec.x_Team).toBe(neutralizeFormula(t.team));
        }
        for (const text of [out.chargeback, out.usage, out.nodes, out.json]) {
          expect(text).not.toMatch(/NaN|Infinity|undefined|\[object /);
        }
        readCsvObjects(out.usage);
        readCsvObjects(out.nodes);

        if (withPdf && pdfs < 25) {
          pdfs++;
          const pdf = await renderPdf(out.summary, null, { language: 'en', baselinePercentile: 50 });
          expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        }
      }),
      { numRuns: HOSTILE_MONTH_RUNS, seed: 13 },
    );
    expect(pdfs).toBeGreaterThan(0);
  }, 120_000);
});
