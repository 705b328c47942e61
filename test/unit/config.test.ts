import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, parseConfigText } from '../../src/config/loadConfig.ts';
import { ConfigError } from '../../src/errors.ts';

const root = resolve(import.meta.dirname, '../..');

describe('configuration', () => {
  it('accepts the documented example config', () => {
    const file = resolve(root, 'docs/config.example.yaml');
    const config = parseConfig(parseConfigText(readFileSync(file, 'utf8'), file));
    expect(config.timezone).toBe('Asia/Seoul');
    expect(config.pricing.instanceTypes['p4d.24xlarge']?.gpus).toBe(8);
    expect(config.pricing.overrides).toHaveLength(1);
  });

  it('fills safe defaults for an empty config', () => {
    const config = parseConfig({});
    expect(config.allocation.utilization.mode).toBe('allocation');
    expect(config.allocation.idle.mode).toBe('separate');
    expect(config.metering.pendingOnNode).toBe('not-charged');
    expect(config.pricing.currency).toBe('USD');
    expect(config.output.location).toBe('./reports');
  });

  it('requires a conversion rate when billing in another currency', () => {
    expect(() => parseConfig({ pricing: { currency: 'KRW' } })).toThrow(/pricing\.conversionRate: required/);
  });

  it('requires report.budgetCurrency with budgets when the bill and the catalog are in different currencies', () => {
    // Issue #16: a budget written in dollars must never be read as won.
    const krw = { currency: 'KRW', priceCurrency: 'USD', conversionRate: '1400' } as const;
    expect(() => parseConfig({ pricing: krw, report: { budgets: { ml: 100 } } })).toThrow(
      /report\.budgetCurrency: required with budgets when pricing\.currency \(KRW\) differs from pricing\.priceCurrency \(USD\)/,
    );
    expect(
      parseConfig({ pricing: krw, report: { budgets: { ml: 100 }, budgetCurrency: 'USD' } }).report
        .budgetCurrency,
    ).toBe('USD');
    expect(parseConfig({ pricing: krw }).report.budgets).toEqual({});
    expect(() =>
      parseConfig({ pricing: krw, report: { budgets: { ml: 1 }, budgetCurrency: 'EUR' } }),
    ).toThrow(/report\.budgetCurrency: "EUR" cannot be compared with the bill/);
    expect(() => parseConfig({ report: { budgets: { ml: 1 }, budgetCurrency: 'KRW' } })).toThrow(
      /report\.budgetCurrency: "KRW" cannot be compared with the bill: use pricing\.currency \(USD\)$/m,
    );
  });

  it('names an override whose instance type is not in the catalog', () => {
    const attempt = () =>
      parseConfig({
        pricing: {
          overrides: [
            { instanceType: 'x1.large', capacityType: 'spot', from: '2026-01-01T00:00:00Z', price: 1 },
          ],
        },
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /pricing\.overrides\.0\.instanceType: "x1\.large" is not in pricing\.instanceTypes/,
    );
  });

  it('checks GPU-model overrides: exactly one key, a priced model, no committed rate', () => {
    const override = (o: Record<string, unknown>) => () =>
      parseConfig({
        pricing: {
          gpuModels: { A100: { perGpuHour: 1 } },
          overrides: [{ capacityType: 'on-demand', from: '2026-01-01T00:00:00Z', price: 2, ...o }],
        },
      });
    expect(override({})).toThrow(/pricing\.overrides\.0: needs exactly one of instanceType .* or gpuModel/);
    expect(override({ gpuModel: 'H100' })).toThrow(
      /pricing\.overrides\.0\.gpuModel: "H100" is not in pricing\.gpuModels/,
    );
    expect(override({ gpuModel: 'A100', capacityType: 'committed' })).toThrow(
      /a gpuModel price is on-demand or spot/,
    );
    expect(override({ gpuModel: 'A100' })().pricing.overrides[0]!.gpuModel).toBe('A100');
  });

  it('reads GKE and AKS capacity-type labels by default, and physical GPU rules', () => {
    const config = parseConfig({
      metering: { physicalGpus: [{ nodeLabel: 'label_rack', value: 'r1', gpus: 8, gpuModel: 'A100' }] },
    });
    expect(config.metering.nodeLabels.capacityType).toEqual([
      'label_karpenter_sh_capacity_type',
      'label_eks_amazonaws_com_capacity_type',
      'label_cloud_google_com_gke_spot',
      'label_cloud_google_com_gke_preemptible',
      'label_kubernetes_azure_com_scalesetpriority',
    ]);
    expect(config.metering.physicalGpus).toHaveLength(1);
    expect(() =>
      parseConfig({ metering: { physicalGpus: [{ nodeLabel: 'x', value: 'y', gpus: 0 }] } }),
    ).toThrow(/metering\.physicalGpus\.0\.gpus/);
  });

  it('rejects unknown top-level keys instead of ignoring them', () => {
    expect(() => parseConfig({ pricng: {} })).toThrow(/pricng/);
  });
});

/** The issues of an invalid config (fails the test when the config is valid). */
function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    parseConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('strict configuration (issue #13, item 14)', () => {
  it('names a typo at any depth with its path and the keys allowed there', () => {
    const issues = issuesOf({
      allocation: { idle: { platfromTeam: 'finops' } },
      pricing: {
        instanceTypes: { 'g5.xlarge': { gpus: 1, gpuModel: 'A10G', onDemand: 1.006, spotPrice: 0.4 } },
      },
      source: { timeoutSecs: 30 },
    });
    expect(issues).toEqual([
      {
        path: 'source.timeoutSecs',
        message: expect.stringMatching(/^unknown setting \(allowed: .*timeoutSeconds/),
      },
      {
        path: 'pricing.instanceTypes.g5.xlarge.spotPrice',
        message: 'unknown setting (allowed: gpus, gpuModel, onDemand, spot, committed)',
      },
      { path: 'allocation.idle.platfromTeam', message: 'unknown setting (allowed: mode, platformTeam)' },
    ]);
  });

  it('refuses a token written into the config file, saying where secrets go', () => {
    const issues = issuesOf({
      source: { auth: { kind: 'bearer', tokenEnv: 'PROM_TOKEN', token: 's3cr3t' } },
    });
    expect(issues).toEqual([
      {
        path: 'source.auth.token',
        message: expect.stringMatching(/secrets are never read from the config file.*tokenEnv/),
      },
    ]);
    expect(JSON.stringify(issues)).not.toContain('s3cr3t');
  });

  it('reports the rules across settings together with every other error', () => {
    const issues = issuesOf({
      timezone: 5,
      pricing: {
        currency: 'KRW',
        instanceTypes: { 'g5.xlarge': { gpus: 'one', gpuModel: 'A10G', onDemand: 1 } },
        overrides: [
          { instanceType: 'x1.large', capacityType: 'spot', from: '2026-01-01T00:00:00Z', price: 1 },
        ],
      },
      source: { dedupeLabels: ['pod'], timeoutSecs: 1 },
    }).map((i) => i.path);
    expect(issues.sort()).toEqual(
      [
        'timezone',
        'pricing.instanceTypes.g5.xlarge.gpus',
        'source.timeoutSecs',
        'pricing.conversionRate',
        'pricing.overrides.0.instanceType',
        'source.dedupeLabels',
      ].sort(),
    );
  });

  it('skips a rule only when a setting it reads is itself invalid', () => {
    const issues = issuesOf({ pricing: { currency: 'XYZ' } });
    expect(issues.map((i) => i.path)).toEqual(['pricing.currency']);
  });

  it('bounds source.timeoutSeconds to 600 s', () => {
    expect(parseConfig({ source: { timeoutSeconds: 600 } }).source.timeoutSeconds).toBe(600);
    expect(issuesOf({ source: { timeoutSeconds: 601 } })).toEqual([
      { path: 'source.timeoutSeconds', message: expect.stringMatching(/600/) },
    ]);
    expect(issuesOf({ source: { timeoutSeconds: 1e308 } }).map((i) => i.path)).toEqual([
      'source.timeoutSeconds',
    ]);
  });

  it('reads raw samples through the query API by default, and refuses remote read with sigv4 (AMP)', () => {
    expect(parseConfig({}).source.readApi).toBe('query');
    expect(parseConfig({ source: { readApi: 'remote' } }).source.readApi).toBe('remote');
    expect(issuesOf({ source: { readApi: 'remote', auth: { kind: 'sigv4', region: 'eu-west-1' } } })).toEqual(
      [{ path: 'source.readApi', message: expect.stringMatching(/Amazon Managed Prometheus/) }],
    );
  });

  it('refuses s3:/bucket (one slash) and s3:bucket instead of writing to a local folder named s3:', () => {
    for (const location of ['s3:/bucket', 's3:bucket/prefix', 'S3:/bucket', 'gs://bucket/x']) {
      expect(issuesOf({ output: { location } })).toEqual([
        { path: 'output.location', message: expect.stringContaining(location) },
      ]);
    }
    expect(parseConfig({ output: { location: 's3://bucket/prefix' } }).output.location).toBe(
      's3://bucket/prefix',
    );
    expect(parseConfig({ output: { location: 'C:\\reports' } }).output.location).toBe('C:\\reports');
    expect(parseConfig({ output: { location: './s3:/bucket' } }).output.location).toBe('./s3:/bucket');
  });

  it('refuses "__proto__" as a key anywhere, once, with its path', () => {
    const input = JSON.parse('{"__proto__": {"x": 1}, "report": {"budgets": {"__proto__": 5, "ml": 1}}}');
    expect(issuesOf(input)).toEqual([
      { path: '__proto__', message: expect.stringMatching(/not accepted as a key/) },
      { path: 'report.budgets.__proto__', message: expect.stringMatching(/not accepted as a key/) },
    ]);
  });
});
