import { mulberry32 } from '../../src/sim/prng.ts';
import {
  addRatio,
  compareRatio,
  divideRatio,
  exactDecimal,
  exactNumber,
  formatExact,
  formatFixed,
  multiplyRatio,
  type Ratio,
  signOf,
  subtractRatio,
  sumDecimals,
} from '../../src/core/money.ts';
import { percentOf } from '../../src/render/pdf/format.ts';
import { warningText } from '../../src/core/warningText.ts';
import { DateTime } from 'luxon';
import type {
  CostBreakdown,
  DayCoverage,
  DaySummary,
  InstanceTypeSummary,
  Summary,
  TeamSummary,
} from '../../src/core/types.ts';

/**
 * Summary fixtures for rendering tests: a self-consistent month (teams, projects, days and totals add up
 * to the cent; capacity cost equals the sum of charges) generated from a seeded pseudo-random cluster.
 */

export interface SummaryFixtureOptions {
  /** YYYY-MM */
  month?: string;
  zone?: string;
  teams?: string[];
  /** Budgets per team in the billing currency (major units). */
  budgets?: Record<string, number>;
  currency?: 'USD' | 'KRW';
  sourceKind?: Summary['source']['kind'];
  seed?: number;
  /** Multiplies demand (0.9 = a quieter month). */
  demandScale?: number;
}

interface InstanceTypeSpec {
  instanceType: string;
  gpuModel: string;
  capacityType: 'on-demand' | 'spot';
  /** USD per GPU-hour. */
  onDemand: string;
  spot: string | null;
  /** Fixed GPUs, or null for an autoscaled pool that follows demand with a floor of `minGpus`. */
  fixedGpus: number | null;
  minGpus: number;
  maxGpus: number;
  /** Mean demand as a share of maxGpus. */
  load: number;
}

const INSTANCE_TYPES: InstanceTypeSpec[] = [
  {
    instanceType: 'p4d.24xlarge',
    gpuModel: 'A100-40GB',
    capacityType: 'on-demand',
    onDemand: '4.096575',
    spot: '1.6386',
    fixedGpus: 32,
    minGpus: 32,
    maxGpus: 32,
    load: 0.72,
  },
  {
    instanceType: 'p5.48xlarge',
    gpuModel: 'H100',
    capacityType: 'on-demand',
    onDemand: '6.875',
    spot: '2.75',
    fixedGpus: 16,
    minGpus: 16,
    maxGpus: 16,
    load: 0.81,
  },
  {
    instanceType: 'g5.12xlarge',
    gpuModel: 'A10G',
    capacityType: 'spot',
    onDemand: '1.418',
    spot: '0.5672',
    fixedGpus: null,
    minGpus: 8,
    maxGpus: 40,
    load: 0.55,
  },
  {
    instanceType: 'g4dn.xlarge',
    gpuModel: 'T4',
    capacityType: 'on-demand',
    onDemand: '0.526',
    spot: null,
    fixedGpus: 8,
    minGpus: 8,
    maxGpus: 8,
    load: 0.4,
  },
];

/** The eight teams of the realistic fixture, biggest spender first. */
export const REALISTIC_TEAMS = [
  'ml-research',
  'search-ranking',
  'recommendations',
  'speech',
  'vision',
  'nlp-platform',
  'ads-modeling',
  'fraud-detection',
];

const REALISTIC_BUDGETS: Record<string, number> = {
  'ml-research': 52_000,
  'search-ranking': 36_000,
  recommendations: 27_500,
  speech: 22_000,
  vision: 15_000,
  'nlp-platform': 14_500,
  'ads-modeling': 12_000,
};

const KRW_PER_USD = '1385.20';

const prng = mulberry32;

const ZERO: Ratio = { numerator: 0n, denominator: 1n };

const sumRatios = (values: Iterable<Ratio>): Ratio => {
  let total = ZERO;
  for (const v of values) total = addRatio(total, v);
  return total;
};

const times = (amount: Ratio, factor: number | string): Ratio =>
  multiplyRatio(amount, typeof factor === 'number' ? exactNumber(factor) : exactDecimal(factor));

/** Splits `total` (already rounded) by `weights` into rounded parts that add up exactly to `total`. */
function splitExactly(total: Ratio, weights: number[], digits: number): Ratio[] {
  const weightSum = weights.reduce((a, b) => a + b, 0);
  if (weightSum === 0) return weights.map(() => ZERO);
  const unit = 10n ** BigInt(digits);
  const parts = weights.map((w) => {
    // Rounded down to the minor unit (total ≥ 0).
    const share = divideRatio(times(total, w), exactNumber(weightSum));
    return { numerator: (share.numerator * unit) / share.denominator, denominator: unit };
  });
  const remainder = subtractRatio(total, sumRatios(parts));
  let largest = 0;
  weights.forEach((w, i) => {
    if (w > (weights[largest] ?? 0)) largest = i;
  });
  parts[largest] = addRatio(parts[largest]!, remainder);
  return parts;
}

/** A realistic month: ~8 teams on four instance types, one autoscaled Spot pool, budgets for most teams. */
export function buildSummary(options: SummaryFixtureOptions = {}): Summary {
  const month = options.month ?? '2026-03';
  const zone = options.zone ?? 'UTC';
  const teams = options.teams ?? REALISTIC_TEAMS;
  const budgets = options.budgets ?? REALISTIC_BUDGETS;
  const currency = options.currency ?? 'USD';
  const digits = currency === 'KRW' ? 0 : 2;
  const rate = exactDecimal(currency === 'KRW' ? KRW_PER_USD : '1');
  const random = prng(options.seed ?? 42);
  const demandScale = options.demandScale ?? 1;
  const money = (d: Ratio) => formatFixed(d, digits);
  const round = (d: Ratio) => exactDecimal(money(d));
  const fixed = money;

  const start = DateTime.fromISO(`${month}-01`, { zone });
  const end = start.plus({ months: 1 });
  const hours = Math.round(end.diff(start, 'hours').hours);
  const dates: string[] = [];
  for (let d = start; d < end; d = d.plus({ days: 1 })) dates.push(d.toISODate()!);

  // Hourly demand and capacity per instance type.
  const hourly: Record<string, number[]> = {};
  const capacity: Record<string, number[]> = {};
  for (const spec of INSTANCE_TYPES) {
    const demand: number[] = [];
    const cap: number[] = [];
    for (let h = 0; h < hours; h++) {
      const t = start.plus({ hours: h });
      const weekday = t.weekday <= 5 ? 1 : 0.7;
      const diurnal = 0.75 + 0.25 * Math.sin(((t.hour - 8) / 24) * 2 * Math.PI);
      const noise = 0.85 + 0.3 * random();
      const wanted = spec.maxGpus * spec.load * weekday * diurnal * noise * demandScale * 1.15;
      const c = spec.fixedGpus ?? Math.min(spec.maxGpus, Math.max(spec.minGpus, Math.ceil(wanted / 4) * 4));
      demand.push(Math.round(Math.min(c, wanted) * 1000) / 1000);
      cap.push(c);
    }
    hourly[spec.instanceType] = demand;
    capacity[spec.instanceType] = cap;
  }
  const price = (spec: InstanceTypeSpec) =>
    multiplyRatio(exactDecimal(spec.capacityType === 'spot' ? spec.spot! : spec.onDemand), rate);
  const listPrice = (spec: InstanceTypeSpec) => multiplyRatio(exactDecimal(spec.onDemand), rate);

  // Team weights with a per-day jitter, so each team's daily line moves on its own.
  const baseWeights = teams.map((_, i) => 1 / (i + 1.6) + random() * 0.05);
  const hoursOfDay = (dayIndex: number): [number, number] => {
    const dayStart = DateTime.fromISO(dates[dayIndex]!, { zone });
    const a = Math.round(dayStart.diff(start, 'hours').hours);
    const b = Math.round(dayStart.plus({ days: 1 }).diff(start, 'hours').hours);
    return [a, Math.min(b, hours)];
  };

  const teamCost = new Map<string, Ratio>(teams.map((t) => [t, ZERO]));
  const teamGpuHours = new Map<string, number>(teams.map((t) => [t, 0]));
  const byDay: DaySummary[] = [];
  const coverageByDay: DayCoverage[] = [];
  let allocatedGpuHours = 0;
  let capacityGpuHours = 0;
  let spotCostTotal = ZERO;
  const typeCost = new Map<string, Ratio>();
  const typeCapacity = new Map<string, number>();
  const typeAllocated = new Map<string, number>();

  dates.forEach((date, dayIndex) => {
    const [a, b] = hoursOfDay(dayIndex);
    let spot = ZERO;
    let onDemand = ZERO;
    let dayAllocated = 0;
    for (const spec of INSTANCE_TYPES) {
      let capHours = 0;
      let allocHours = 0;
      for (let h = a; h < b; h++) {
        capHours += capacity[spec.instanceType]![h]!;
        allocHours += hourly[spec.instanceType]![h]!;
      }
      const cost = round(times(price(spec), capHours));
      if (spec.capacityType === 'spot') spot = addRatio(spot, cost);
      else onDemand = addRatio(onDemand, cost);
      typeCost.set(spec.instanceType, addRatio(typeCost.get(spec.instanceType) ?? ZERO, cost));
      typeCapacity.set(spec.instanceType, (typeCapacity.get(spec.instanceType) ?? 0) + capHours);
      typeAllocated.set(spec.instanceType, (typeAllocated.get(spec.instanceType) ?? 0) + allocHours);
      capacityGpuHours += capHours;
      dayAllocated += allocHours;
    }
    allocatedGpuHours += dayAllocated;
    spotCostTotal = addRatio(spotCostTotal, spot);
    const dayCost = addRatio(spot, onDemand);
    const weights = baseWeights.map((w) => w * (0.7 + 0.6 * random()));
    const parts = splitExactly(dayCost, weights, digits);
    const weightSum = weights.reduce((x, y) => x + y, 0);
    const dayByTeam: Record<string, string> = {};
    teams.forEach((team, i) => {
      dayByTeam[team] = fixed(parts[i]!);
      teamCost.set(team, addRatio(teamCost.get(team)!, parts[i]!));
      teamGpuHours.set(team, teamGpuHours.get(team)! + (dayAllocated * weights[i]!) / weightSum);
    });
    const coverage = dayIndex === 9 ? 0.958 : dayIndex === 20 ? 0.991 : 1;
    byDay.push({
      date,
      cost: fixed(dayCost),
      spotCost: fixed(spot),
      onDemandCost: fixed(onDemand),
      committedCost: fixed(ZERO),
      byTeam: dayByTeam,
      coveragePct: coverage * 100,
    });
    const dayStartMs = DateTime.fromISO(date, { zone }).toMillis();
    coverageByDay.push({
      date,
      kubeStateMetrics: coverage,
      dcgm: coverage,
      gaps:
        coverage < 1
          ? [
              {
                startMs: dayStartMs + 3 * 3_600_000,
                endMs: dayStartMs + 3 * 3_600_000 + Math.round((1 - coverage) * 86_400_000),
              },
            ]
          : [],
    });
  });

  const totalCost = sumRatios(teamCost.values());
  const totalList = sumRatios(
    INSTANCE_TYPES.map((spec) => round(times(listPrice(spec), typeCapacity.get(spec.instanceType) ?? 0))),
  );
  const idleGpuHours = capacityGpuHours - allocatedGpuHours;
  const idleShare = capacityGpuHours > 0 ? idleGpuHours / capacityGpuHours : 0;
  const listRatio = signOf(totalCost) === 0 ? exactNumber(1) : divideRatio(totalList, totalCost);

  const utilization = teams.map(() => 25 + random() * 60);
  const byTeam: TeamSummary[] = teams.map((team, i) => {
    const cost = teamCost.get(team)!;
    const idleCost = round(times(cost, idleShare));
    const budget = budgets[team];
    const budgetText = budget === undefined ? null : fixed(exactNumber(budget));
    return {
      key: team,
      cost: fixed(cost),
      listCost: money(multiplyRatio(cost, listRatio)),
      gpuHours: teamGpuHours.get(team)!,
      utilizationPct: i === teams.length - 1 ? null : utilization[i]!,
      directCost: fixed(subtractRatio(cost, idleCost)),
      idleCost: fixed(idleCost),
      unusedAllocationCost: fixed(ZERO),
      idleSharePct: signOf(cost) === 0 ? 0 : percentOf(idleCost, cost),
      budget: budgetText,
      variance: budgetText === null ? null : fixed(subtractRatio(cost, exactDecimal(budgetText))),
    };
  });
  const byCostDescending = (x: { cost: string; key: string }, y: { cost: string; key: string }) =>
    compareRatio(exactDecimal(y.cost), exactDecimal(x.cost)) || x.key.localeCompare(y.key);
  byTeam.sort(byCostDescending);

  const projectNames = ['training', 'inference', 'batch-eval', 'notebooks'];
  const byProject: Summary['byProject'] = [];
  const byNamespace: Summary['byNamespace'] = [];
  for (const team of byTeam) {
    const n = 1 + Math.floor(random() * 3);
    const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1) + random() * 0.2);
    const parts = splitExactly(exactDecimal(team.cost), weights, digits);
    const weightSum = weights.reduce((a, b) => a + b, 0);
    parts.forEach((part, i) => {
      const project = `${team.key}-${projectNames[i]}`;
      const breakdown: CostBreakdown = {
        key: project,
        cost: fixed(part),
        listCost: money(multiplyRatio(part, listRatio)),
        gpuHours: (team.gpuHours * weights[i]!) / weightSum,
        utilizationPct:
          team.utilizationPct === null ? null : Math.max(3, team.utilizationPct - 20 + random() * 40),
      };
      byProject.push({ ...breakdown, team: team.key });
      byNamespace.push({ ...breakdown, key: project, cluster: 'prod-us-east-1' });
    });
  }
  byProject.sort(byCostDescending);
  byNamespace.sort(byCostDescending);

  const byInstanceType: InstanceTypeSummary[] = INSTANCE_TYPES.map((spec) => ({
    instanceType: spec.instanceType,
    gpuModel: spec.gpuModel,
    capacityType: spec.capacityType,
    capacityGpuHours: typeCapacity.get(spec.instanceType) ?? 0,
    allocatedGpuHours: typeAllocated.get(spec.instanceType) ?? 0,
    idleGpuHours: (typeCapacity.get(spec.instanceType) ?? 0) - (typeAllocated.get(spec.instanceType) ?? 0),
    cost: fixed(typeCost.get(spec.instanceType) ?? ZERO),
    onDemandPricePerGpuHour: formatExact(multiplyRatio(exactDecimal(spec.onDemand), rate)),
    spotPricePerGpuHour:
      spec.spot === null ? null : formatExact(multiplyRatio(exactDecimal(spec.spot), rate)),
  }));
  const byGpuModel: CostBreakdown[] = byInstanceType.map((t, i) => ({
    key: t.gpuModel,
    cost: t.cost,
    listCost: money(times(listPrice(INSTANCE_TYPES[i]!), t.capacityGpuHours)),
    gpuHours: t.allocatedGpuHours,
    utilizationPct: 40 + i * 9,
  }));
  const spotList = round(times(listPrice(INSTANCE_TYPES[2]!), typeCapacity.get('g5.12xlarge') ?? 0));
  const onDemandCost = subtractRatio(totalCost, spotCostTotal);
  const byPricingCategory: CostBreakdown[] = [
    {
      key: 'Standard',
      cost: fixed(onDemandCost),
      listCost: fixed(onDemandCost),
      gpuHours: 0,
      utilizationPct: null,
    },
    {
      key: 'Dynamic',
      cost: fixed(spotCostTotal),
      listCost: fixed(spotList),
      gpuHours: 0,
      utilizationPct: null,
    },
  ];

  const lowUtilization: Summary['lowUtilization'] = byProject
    .filter((p) => p.utilizationPct !== null)
    .sort((x, y) => x.utilizationPct! - y.utilizationPct!)
    .slice(0, 10)
    .map((p) => ({
      cluster: 'prod-us-east-1',
      namespace: p.key,
      project: p.key,
      team: p.team,
      cost: p.cost,
      utilizationPct: p.utilizationPct!,
    }));

  const idleCost = sumRatios(byTeam.map((t) => exactDecimal(t.idleCost)));
  const knownUtil = byTeam.filter((t) => t.utilizationPct !== null);
  const utilGpuHours = knownUtil.reduce((s, t) => s + t.gpuHours, 0);
  const gaps = coverageByDay.flatMap((d) => d.gaps);
  const perGpuHour = (amount: Ratio) =>
    formatFixed(divideRatio(amount, exactNumber(allocatedGpuHours)), 4, 'half-up');

  return {
    schemaVersion: 1,
    source:
      options.sourceKind === 'demo'
        ? { kind: 'demo', description: 'simulated cluster (seed 42)' }
        : { kind: options.sourceKind ?? 'prometheus', description: 'https://prometheus.prod.example.com' },
    period: {
      month,
      zone,
      start: start.toISO()!,
      end: end.toISO()!,
      hours,
      days: dates.length,
    },
    currency: {
      code: currency,
      minorDigits: digits,
      conversion: currency === 'KRW' ? { from: 'USD', rate: KRW_PER_USD } : null,
    },
    policies: {
      pendingOnNode: 'not-charged',
      maxBridgeSeconds: 3600,
      utilization: { mode: 'allocation', floorPct: null },
      idle: { mode: 'share-by-cluster', platformTeam: 'platform' },
      rounding: 'half-even per row',
      lowUtilizationBelowPct: 50,
    },
    priceCatalog: { version: 'aws-us-east-1-2026-03-01' },
    scrape: { kubeStateMetricsSeconds: 30, dcgmSeconds: 30, source: 'detected' },
    totals: {
      cost: fixed(totalCost),
      listCost: fixed(totalList),
      directCost: fixed(subtractRatio(totalCost, idleCost)),
      idleCost: fixed(idleCost),
      unusedAllocationCost: fixed(ZERO),
      spotSavings: fixed(subtractRatio(spotList, spotCostTotal)),
      capacityCost: fixed(totalCost),
      capacityGpuHours,
      allocatedGpuHours,
      idleGpuHours,
      allocationRatePct: capacityGpuHours > 0 ? (allocatedGpuHours / capacityGpuHours) * 100 : 0,
      utilizationPct:
        utilGpuHours > 0
          ? knownUtil.reduce((s, t) => s + t.gpuHours * t.utilizationPct!, 0) / utilGpuHours
          : null,
      spotSharePct: signOf(totalCost) === 0 ? 0 : percentOf(spotCostTotal, totalCost),
      spotSpendSharePct: signOf(totalCost) === 0 ? 0 : percentOf(spotCostTotal, totalCost),
      coveragePct:
        (coverageByDay.reduce((s, d) => s + d.kubeStateMetrics, 0) / Math.max(1, coverageByDay.length)) * 100,
      blendedCostPerGpuHour: allocatedGpuHours > 0 ? perGpuHour(totalCost) : '0',
      onDemandCostPerGpuHour: allocatedGpuHours > 0 ? perGpuHour(totalList) : '0',
      rowCount: byNamespace.length * dates.length * 2,
    },
    budgets: budgetTotalsOfFixture(byTeam, totalCost, currency, digits),
    byTeam,
    byProject,
    byNamespace,
    byCluster: [
      {
        key: 'prod-us-east-1',
        cost: fixed(totalCost),
        listCost: fixed(totalList),
        gpuHours: allocatedGpuHours,
        utilizationPct: 55,
      },
    ],
    byGpuModel,
    byPricingCategory,
    byInstanceType,
    byDay,
    hourlyAllocatedGpus: hourly,
    lowUtilization,
    coverage: { byDay: coverageByDay, gaps },
    reconciliation: {
      capacityCost: fixed(totalCost),
      sumOfRows: fixed(totalCost),
      difference: fixed(ZERO),
    },
    warnings: [warningText('noSpotPrice', { instanceType: 'g4dn.xlarge' })],
  };
}

/** The realistic month (March 2026, USD, 8 teams). */
export function realisticSummary(options: SummaryFixtureOptions = {}): Summary {
  return buildSummary(options);
}

/** February 2026 for the realistic fixture: quieter, and without the last team (so it shows as new). */
export function previousMonthSummary(options: SummaryFixtureOptions = {}): Summary {
  return buildSummary({
    month: '2026-02',
    seed: 7,
    demandScale: 0.9,
    teams: REALISTIC_TEAMS.slice(0, -1),
    ...options,
  });
}

/** 60 teams with long, hostile names (control characters, bidi override, Korean, 120+ characters). */
export function manyTeamsSummary(options: SummaryFixtureOptions = {}): Summary {
  const teams = Array.from({ length: 60 }, (_, i) => {
    const n = String(i + 1).padStart(2, '0');
    if (i % 10 === 3) return `team-${n}-\u0007bell\u001b[31mred\u202Eevil\u0000-${'x'.repeat(20)}`;
    if (i % 10 === 5) return `연구팀-${n}-대규모-언어-모델-분산-학습-인프라-${'가나다라'.repeat(8)}`;
    return `team-${n}-distributed-training-of-very-large-language-models-with-an-extremely-long-label-value-${n}`;
  });
  const budgets: Record<string, number> = {};
  teams.forEach((t, i) => {
    if (i % 3 !== 2) budgets[t] = 4000 + i * 150;
  });
  return buildSummary({ teams, budgets, seed: 60, ...options });
}

/** The realistic month billed in KRW (0 minor digits, converted from USD at a fixed rate). */
export function krwSummary(options: SummaryFixtureOptions = {}): Summary {
  const budgets = Object.fromEntries(Object.entries(REALISTIC_BUDGETS).map(([k, v]) => [k, v * 1400]));
  return buildSummary({ currency: 'KRW', zone: 'Asia/Seoul', budgets, ...options });
}

/** A month in which nothing ran and no GPU node existed: every total is zero and every list is empty. */
export function zeroUsageSummary(options: SummaryFixtureOptions = {}): Summary {
  const base = buildSummary({ teams: [], budgets: {}, ...options });
  const zero = formatFixed(ZERO, base.currency.minorDigits);
  return {
    ...base,
    totals: {
      cost: zero,
      listCost: zero,
      directCost: zero,
      idleCost: zero,
      unusedAllocationCost: zero,
      spotSavings: zero,
      capacityCost: zero,
      capacityGpuHours: 0,
      allocatedGpuHours: 0,
      idleGpuHours: 0,
      allocationRatePct: 0,
      utilizationPct: null,
      spotSharePct: 0,
      spotSpendSharePct: 0,
      coveragePct: 100,
      blendedCostPerGpuHour: '0',
      onDemandCostPerGpuHour: '0',
      rowCount: 0,
    },
    byTeam: [],
    byProject: [],
    byNamespace: [],
    byCluster: [],
    byGpuModel: [],
    byPricingCategory: [],
    byInstanceType: [],
    byDay: base.byDay.map((d) => ({
      ...d,
      cost: zero,
      spotCost: zero,
      onDemandCost: zero,
      committedCost: zero,
      byTeam: {},
      coveragePct: 100,
    })),
    hourlyAllocatedGpus: {},
    lowUtilization: [],
    coverage: {
      byDay: base.coverage.byDay.map((d) => ({ ...d, kubeStateMetrics: 1, dcgm: null, gaps: [] })),
      gaps: [],
    },
    reconciliation: { capacityCost: zero, sumOfRows: zero, difference: zero },
    warnings: [],
  };
}

/** summary.json `budgets` of a fixture's teams: variance over budgeted teams only (as src/core/aggregate/budgets.ts). */
function budgetTotalsOfFixture(
  byTeam: readonly TeamSummary[],
  totalCost: Ratio,
  currency: string,
  digits: number,
): Summary['budgets'] {
  const budgeted = byTeam.filter((t) => t.budget !== null);
  if (budgeted.length === 0) return null;
  const budget = sumDecimals(budgeted.map((t) => t.budget!));
  const cost = sumDecimals(budgeted.map((t) => t.cost));
  return {
    currency,
    conversionRate: null,
    budgetedTeams: budgeted.length,
    teamsOver: budgeted.filter((t) => compareRatio(exactDecimal(t.cost), exactDecimal(t.budget!)) > 0).length,
    budget: formatFixed(budget, digits),
    budgetedCost: formatFixed(cost, digits),
    variance: formatFixed(subtractRatio(cost, budget), digits),
    unbudgetedCost: formatFixed(subtractRatio(totalCost, cost), digits),
  };
}
