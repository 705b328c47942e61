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
    expect(override({ gpuModel: 'H100' })).toThrow(/pricing\.overrides\.0\.gpuModel: "H100" is not in pricing\.gpuModels/);
    expect(override({ gpuModel: 'A100', capacityType: 'committed' })).toThrow(/a gpuModel price is on-demand or spot/);
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
    expect(() => parseConfig({ metering: { physicalGpus: [{ nodeLabel: 'x', value: 'y', gpus: 0 }] } })).toThrow(
      /metering\.physicalGpus\.0\.gpus/,
    );
  });

  it('rejects unknown top-level keys instead of ignoring them', () => {
    expect(() => parseConfig({ pricng: {} })).toThrow(/pricng/);
  });
});
