import { describe, expect, it } from 'vitest';
import { instanceKeyOf, InvoiceLedger, type InvoiceLine } from '../../../src/core/billing/ledger.ts';
import { exactDecimal, formatExact } from '../../../src/core/money.ts';
import { billingPeriod, chargePeriods } from '../../../src/core/period.ts';

function line(overrides: Partial<InvoiceLine>): InvoiceLine {
  return {
    billingAccountId: '111122223333',
    subAccountId: '',
    resourceId: 'i-0123456789abcdef0',
    instanceType: 'p4d.24xlarge',
    region: 'us-east-1',
    startMs: Date.parse('2026-03-01T00:00:00Z'),
    endMs: Date.parse('2026-03-01T01:00:00Z'),
    usageSeconds: 3600,
    effectiveCost: exactDecimal('32.7726'),
    pricingCategory: 'Standard',
    team: null,
    project: null,
    ...overrides,
  };
}

describe('instanceKeyOf', () => {
  it('gives a node provider id and the export resource id of the same instance one key', () => {
    expect(instanceKeyOf('aws:///us-east-1a/i-0123456789abcdef0')).toBe('aws:i-0123456789abcdef0');
    expect(instanceKeyOf('i-0123456789abcdef0')).toBe('aws:i-0123456789abcdef0');
    expect(instanceKeyOf('arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0')).toBe(
      'aws:i-0123456789abcdef0',
    );
    expect(instanceKeyOf('gce://proj/us-central1-a/gke-node-1')).toBe('gce:proj/us-central1-a/gke-node-1');
    expect(
      instanceKeyOf('//compute.googleapis.com/projects/proj/zones/us-central1-a/instances/gke-node-1'),
    ).toBe('gce:proj/us-central1-a/gke-node-1');
    expect(
      instanceKeyOf(
        'azure:///subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/vm1',
      ),
    ).toBe(
      instanceKeyOf('/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/VM1'),
    );
  });
});

describe('InvoiceLedger', () => {
  it('splits an hourly line across local midnight of a half-hour zone in proportion to time, exactly', () => {
    const period = billingPeriod('2026-03', 'Asia/Kolkata');
    const ledger = new InvoiceLedger(chargePeriods(period.days, []));
    // 2026-03-01T18:00Z..19:00Z is 23:30..00:30 in Kolkata: half on March 1st, half on March 2nd.
    ledger.add(
      line({
        startMs: Date.parse('2026-03-01T18:00:00Z'),
        endMs: Date.parse('2026-03-01T19:00:00Z'),
        effectiveCost: exactDecimal('0.0000000003'),
      }),
    );
    const costs = ledger.result();
    const instance = costs.instances.get('aws:i-0123456789abcdef0')!;
    expect(
      instance.periods.map((p) => [costs.chargePeriods[p.period]!.date, formatExact(p.cost), p.usageSeconds]),
    ).toEqual([
      ['2026-03-01', '0.00000000015', 1800],
      ['2026-03-02', '0.00000000015', 1800],
    ]);
  });

  it('drops the part of a line outside the month and keeps the coverage of every account', () => {
    const period = billingPeriod('2026-03', 'UTC');
    const ledger = new InvoiceLedger(chargePeriods(period.days, []));
    ledger.add(
      line({
        startMs: Date.parse('2026-02-28T23:30:00Z'),
        endMs: Date.parse('2026-03-01T00:30:00Z'),
        effectiveCost: exactDecimal('2'),
      }),
    );
    ledger.noteCoverage('999988887777', Date.parse('2026-03-15T00:00:00Z'));
    const costs = ledger.result();
    expect(formatExact(costs.instances.get('aws:i-0123456789abcdef0')!.periods[0]!.cost)).toBe('1');
    expect(costs.coveredUntilMs).toBe(Date.parse('2026-03-01T00:30:00Z'));
    expect(Object.keys(costs.coveredUntilByAccount)).toEqual(['111122223333', '999988887777']);
  });
});
