/**
 * focus.csv against the FOCUS 1.2 specification, rule by rule. Each rule quotes its requirement and names the
 * file it comes from in FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec (tag v1.2, specification/); the FinOps
 * Foundation validator's rules model for the same version (finopsfoundation/focus_validator,
 * focus_validator/rules/model-1.2.json) checks the same requirements.
 */
import { describe, expect, it } from 'vitest';
import { InvoiceLedger } from '../../../src/core/billing/ledger.ts';
import { exactDecimal } from '../../../src/core/money.ts';
import { priceMonth } from '../../../src/core/month/priceMonth.ts';
import { billingPeriod, chargePeriods } from '../../../src/core/period.ts';
import { csvMetaFromSummary } from '../../../src/render/csv.ts';
import { FOCUS_COLUMNS, focusCsvChunks } from '../../../src/render/focusCsv.ts';
import { readCsvRecords } from '../../support/csv.ts';
import {
  meteredDay,
  nodeUsage,
  parseConfig,
  podUsage,
  priceOptions,
  wholeDay,
} from '../../support/meteredFixture.ts';

/** The column IDs FOCUS 1.2 defines (specification/columns/*.md, "Column ID"). */
const FOCUS_1_2_COLUMNS = new Set(
  'AvailabilityZone BilledCost BillingAccountId BillingAccountName BillingAccountType BillingCurrency BillingPeriodEnd BillingPeriodStart CapacityReservationId CapacityReservationStatus ChargeCategory ChargeClass ChargeDescription ChargeFrequency ChargePeriodEnd ChargePeriodStart CommitmentDiscountCategory CommitmentDiscountId CommitmentDiscountName CommitmentDiscountQuantity CommitmentDiscountStatus CommitmentDiscountType CommitmentDiscountUnit ConsumedQuantity ConsumedUnit ContractedCost ContractedUnitPrice EffectiveCost InvoiceId InvoiceIssuerName ListCost ListUnitPrice PricingCategory PricingCurrency PricingCurrencyContractedUnitPrice PricingCurrencyEffectiveCost PricingCurrencyListUnitPrice PricingQuantity PricingUnit ProviderName PublisherName RegionId RegionName ResourceId ResourceName ResourceType ServiceCategory ServiceName ServiceSubcategory SkuId SkuMeter SkuPriceDetails SkuPriceId SubAccountId SubAccountName SubAccountType Tags'.split(
    ' ',
  ),
);

/** A month of two nodes (one priced from the invoice, one on-prem from the catalog), under a splitting policy. */
function focusRecords(chargeClass: '' | 'Correction' = ''): Record<string, string>[] {
  const period = billingPeriod('2026-03', 'Asia/Seoul');
  const day = period.days[0]!;
  const cp = wholeDay(day);
  const pods = [
    podUsage(cp, {
      pod: { namespace: 'ml', pod: 'train-0', uid: 'u0' },
      node: 'n-cloud',
      utilization: 0.4,
      team: '=evil',
      project: 'p',
    }),
    podUsage(cp, { pod: { namespace: 'ml', pod: 'dgx-job', uid: 'u1' }, node: 'n-dgx', team: 'vision' }),
  ];
  const nodes = [
    nodeUsage(
      cp,
      {
        node: 'n-cloud',
        instanceType: 'g5.12xlarge',
        gpus: 4,
        capacityType: 'spot',
        providerId: 'aws:///us-east-1a/i-0123456789abcdef0',
      },
      pods,
    ),
    nodeUsage(cp, { node: 'n-dgx', instanceType: 'unknown', gpus: 1, gpuModel: 'A100' }, pods),
  ];
  const config = parseConfig({
    timezone: 'Asia/Seoul',
    pricing: {
      instanceTypes: { 'g5.12xlarge': { gpus: 4, gpuModel: 'A10G', onDemand: 5.672, spot: 2.2688 } },
      gpuModels: { A100: { perGpuHour: 1.2 } },
    },
    allocation: {
      utilization: { mode: 'utilization' },
      idle: { mode: 'separate', platformTeam: 'platform' },
    },
  });
  const ledger = new InvoiceLedger(chargePeriods(period.days, []));
  for (let t = day.startMs; t < day.endMs; t += 3_600_000)
    ledger.add({
      billingAccountId: '111122223333',
      subAccountId: '',
      resourceId: 'i-0123456789abcdef0',
      instanceType: 'g5.12xlarge',
      region: 'us-east-1',
      startMs: t,
      endMs: t + 3_600_000,
      usageSeconds: 3600,
      effectiveCost: exactDecimal('2.1234567891'),
      pricingCategory: 'Dynamic',
      team: null,
      project: null,
    });
  ledger.noteCoverage('111122223333', period.endMs);
  const { rows, summary } = priceMonth(
    [meteredDay(day, pods, nodes)],
    priceOptions(period, config, {
      invoice: {
        costs: ledger.result(),
        source: { format: 'focus', description: 't' },
        gpuInstanceTypes: {},
        defaultProject: 'x',
      },
    }),
  );
  const text = [
    ...focusCsvChunks(rows, { ...csvMetaFromSummary(summary, period), chargeClass, issuer: 'platform' }),
  ].join('');
  const [header, ...body] = readCsvRecords(text);
  expect(header).toEqual([...FOCUS_COLUMNS]);
  return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]!])));
}

const isNull = (v: string | undefined) => v === undefined || v === '';
const DECIMAL = /^-?(\d+|\d*\.\d+)([eE]-?\d+)?$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

interface Rule {
  spec: string;
  requirement: string;
  check(records: Record<string, string>[], header: readonly string[]): void;
}

const MANDATORY = [
  'BilledCost',
  'BillingAccountId',
  'BillingAccountName',
  'BillingCurrency',
  'BillingPeriodEnd',
  'BillingPeriodStart',
  'ChargeCategory',
  'ChargeClass',
  'ChargeDescription',
  'ChargePeriodEnd',
  'ChargePeriodStart',
  'ContractedCost',
  'EffectiveCost',
  'InvoiceIssuerName',
  'ListCost',
  'PricingQuantity',
  'PricingUnit',
  'ProviderName',
  'PublisherName',
  'ServiceCategory',
  'ServiceName',
];
const NOT_NULL = [
  'BilledCost',
  'BillingAccountId',
  'BillingCurrency',
  'BillingPeriodEnd',
  'BillingPeriodStart',
  'ChargeCategory',
  'ChargeFrequency',
  'ChargePeriodEnd',
  'ChargePeriodStart',
  'ContractedCost',
  'EffectiveCost',
  'InvoiceIssuerName',
  'ListCost',
  'ProviderName',
  'PublisherName',
  'ServiceCategory',
  'ServiceName',
];
const allowed =
  (column: string, values: readonly string[], nullable = false) =>
  (records: Record<string, string>[]) => {
    for (const r of records)
      if (!(nullable && isNull(r[column]))) expect(values, `${column} "${r[column]}"`).toContain(r[column]);
  };

const RULES: Rule[] = [
  ...MANDATORY.map((c): Rule => ({
    spec: `columns/${c.toLowerCase().replace('invoiceissuername', 'invoiceissuer').replace('providername', 'provider').replace('publishername', 'publisher')}.md`,
    requirement: `${c} MUST be present in a FOCUS dataset.`,
    check: (_r, header) => expect(header).toContain(c),
  })),
  ...NOT_NULL.map((c): Rule => ({
    spec: `columns/${c.toLowerCase()}.md`,
    requirement: `${c} MUST NOT be null.`,
    check: (records) => {
      for (const r of records) expect(isNull(r[c]), c).toBe(false);
    },
  })),
  {
    spec: 'attributes/column_handling.md',
    requirement:
      'Custom columns MUST be prefixed with a consistent `x_` prefix; custom columns SHOULD be listed after all FOCUS columns.',
    check: (_r, header) => {
      const custom = header.map((h) => !FOCUS_1_2_COLUMNS.has(h));
      for (const [i, h] of header.entries()) if (custom[i]) expect(h.startsWith('x_'), h).toBe(true);
      expect(custom.indexOf(true)).toBe(custom.lastIndexOf(false) + 1);
    },
  },
  ...['BilledCost', 'ContractedCost', 'EffectiveCost', 'ListCost', 'PricingQuantity', 'ConsumedQuantity'].map(
    (c): Rule => ({
      spec: 'attributes/numeric_format.md',
      requirement: `${c}: Numeric values MUST be expressed as an integer value, a decimal value, or a value expressed in scientific notation; MUST NOT include a character to represent a sign for a positive value.`,
      check: (records) => {
        for (const r of records) if (!isNull(r[c])) expect(r[c], c).toMatch(DECIMAL);
      },
    }),
  ),
  ...['BillingPeriodStart', 'BillingPeriodEnd', 'ChargePeriodStart', 'ChargePeriodEnd'].map((c): Rule => ({
    spec: 'attributes/datetime_format.md',
    requirement: `${c}: Date/time values MUST be in UTC ... in the extended ISO 8601 format with UTC offset ('YYYY-MM-DDTHH:mm:ssZ').`,
    check: (records) => {
      for (const r of records) expect(r[c], c).toMatch(DATETIME);
    },
  })),
  {
    spec: 'attributes/currency_format.md',
    requirement:
      'Currency-related columns MUST be represented as a three-letter alphabetic code as dictated in ISO 4217:2015.',
    check: (records) => {
      for (const r of records) expect(r.BillingCurrency).toMatch(/^[A-Z]{3}$/);
    },
  },
  {
    spec: 'columns/chargecategory.md',
    requirement:
      'ChargeCategory MUST be one of the allowed values (Usage, Purchase, Tax, Credit, Adjustment).',
    check: allowed('ChargeCategory', ['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment']),
  },
  {
    spec: 'columns/chargeclass.md',
    requirement: 'ChargeClass MUST be "Correction" when ChargeClass is not null.',
    check: allowed('ChargeClass', ['Correction'], true),
  },
  {
    spec: 'columns/chargefrequency.md',
    requirement: 'ChargeFrequency MUST be one of the allowed values (One-Time, Recurring, Usage-Based).',
    check: allowed('ChargeFrequency', ['One-Time', 'Recurring', 'Usage-Based']),
  },
  {
    spec: 'columns/pricingcategory.md',
    requirement:
      'PricingCategory MUST NOT be null when ChargeCategory is "Usage" ... and ChargeClass is not "Correction"; MUST be one of the allowed values.',
    check: (records) => {
      for (const r of records) {
        if (r.ChargeCategory === 'Usage' && r.ChargeClass !== 'Correction')
          expect(isNull(r.PricingCategory)).toBe(false);
        if (!isNull(r.PricingCategory))
          expect(['Standard', 'Dynamic', 'Committed', 'Other']).toContain(r.PricingCategory);
      }
    },
  },
  {
    spec: 'columns/pricingquantity.md, columns/pricingunit.md',
    requirement:
      'PricingQuantity MUST NOT be null when ChargeCategory is "Usage" ... and ChargeClass is not "Correction"; PricingUnit MUST be null when PricingQuantity is null and MUST NOT be null when it is not.',
    check: (records) => {
      for (const r of records) {
        if (r.ChargeCategory === 'Usage' && r.ChargeClass !== 'Correction')
          expect(isNull(r.PricingQuantity)).toBe(false);
        expect(isNull(r.PricingUnit)).toBe(isNull(r.PricingQuantity));
      }
    },
  },
  {
    spec: 'columns/consumedunit.md',
    requirement:
      'ConsumedUnit MUST be null when ConsumedQuantity is null; MUST NOT be null when ConsumedQuantity is not null.',
    check: (records) => {
      for (const r of records) expect(isNull(r.ConsumedUnit)).toBe(isNull(r.ConsumedQuantity));
    },
  },
  {
    spec: 'attributes/unit_format.md',
    requirement: 'Units SHOULD be expressed as ... `<singular-unit>-<plural-time-units>` - "GB-Hours".',
    check: (records) => {
      for (const r of records)
        for (const c of ['ConsumedUnit', 'PricingUnit'])
          if (!isNull(r[c]))
            expect(r[c]).toMatch(/^[A-Za-z]+-(Seconds|Minutes|Hours|Days|Weeks|Months|Years)$/);
    },
  },
  {
    spec: 'columns/servicecategory.md',
    requirement: 'ServiceCategory MUST be one of the allowed values.',
    check: allowed('ServiceCategory', [
      'AI and Machine Learning',
      'Analytics',
      'Business Applications',
      'Compute',
      'Databases',
      'Developer Tools',
      'Multicloud',
      'Identity',
      'Integration',
      'Internet of Things',
      'Management and Governance',
      'Media',
      'Migration',
      'Mobile',
      'Networking',
      'Security',
      'Storage',
      'Web',
      'Other',
    ]),
  },
  {
    spec: 'columns/resourceid.md',
    requirement:
      "ResourceId MUST NOT be null when a charge is related to a resource (every chargeback row is a node's GPU time).",
    check: (records) => {
      for (const r of records) expect(isNull(r.ResourceId)).toBe(false);
    },
  },
  {
    spec: 'columns/tags.md, attributes/key_value_format.md',
    requirement:
      'Key-Value Format columns MUST contain a serialized JSON string ... of an object; values MUST be number, string, true, false or null.',
    check: (records) => {
      for (const r of records) {
        if (isNull(r.Tags)) continue;
        const parsed = JSON.parse(r.Tags!) as unknown;
        expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
        for (const v of Object.values(parsed as object))
          expect(['string', 'number', 'boolean']).toContain(v === null ? 'string' : typeof v);
      }
    },
  },
];

describe('focus.csv conforms to FOCUS 1.2', () => {
  const records = focusRecords();
  const corrected = focusRecords('Correction');
  const header = [...FOCUS_COLUMNS];
  for (const rule of RULES) {
    it(`${rule.spec}: ${rule.requirement}`, () => {
      rule.check(records, header);
      rule.check(corrected, header);
    });
  }

  it('carries the chargeback: one record per row, invoice-priced rows flagged, hostile labels neutralized', () => {
    expect(records.length).toBeGreaterThanOrEqual(4);
    expect(
      records.some(
        (r) => r.x_CostSource === 'invoice' && r.ResourceId === 'aws:///us-east-1a/i-0123456789abcdef0',
      ),
    ).toBe(true);
    expect(records.some((r) => r.ProviderName === 'On-premises' && r.ResourceId === 'n-dgx')).toBe(true);
    expect(records.find((r) => r.x_Pod === 'train-0')!.BillingAccountId).toBe("'=evil");
    expect(corrected.every((r) => r.ChargeClass === 'Correction')).toBe(true);
  });
});
