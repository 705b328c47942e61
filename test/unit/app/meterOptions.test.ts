import { describe, expect, it } from 'vitest';
import { meteringKey, meterOptionsFor } from '../../../src/app/meterDay.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { meterWindow } from '../../../src/core/metering/index.ts';
import { HOUR, seoulDay, windowFor } from '../metering/fixtures.ts';

const G5 = { gpus: 4, gpuModel: 'A10G', onDemand: 5.672 };
const DGX = { gpus: 8, gpuModel: 'A100', onDemand: 20 };

function configWith(pricing: ConfigInput['pricing']) {
  return parseConfig({ source: { clusterLabel: 'cluster' }, pricing });
}

describe('meterOptionsFor', () => {
  const day = seoulDay();

  it("weighs a node whose instance type is only in its cluster's catalog by that entry (pricing.byCluster)", () => {
    // An on-prem DGX (8 A100s) time-sliced ×4: 32 advertised units of 1/4 GPU each.
    const config = configWith({
      instanceTypes: { 'g5.12xlarge': G5 },
      byCluster: { onprem: { instanceTypes: { dgx: DGX } } },
    });
    const base = windowFor(
      day,
      [{ name: 'a', node: 'dgx-1', running: [[day.startMs, day.startMs + HOUR]] }],
      [{ name: 'dgx-1', instanceType: 'dgx', capacity: { nvidia_com_gpu: 32 } }],
    );
    const onPrem = <T extends { cluster: string }>(x: T): T => ({ ...x, cluster: 'onprem' });
    const obs = {
      ...base,
      running: base.running.map((r) => ({ ...r, pod: onPrem(r.pod) })),
      requests: base.requests.map((r) => ({ ...r, pod: onPrem(r.pod) })),
      podNodes: base.podNodes.map((p) => ({ ...p, pod: onPrem(p.pod) })),
      nodeLabels: base.nodeLabels.map(onPrem),
      nodeCapacity: base.nodeCapacity.map(onPrem),
    };
    const metered = meterWindow(obs, meterOptionsFor(config, day));
    expect(metered.pods.map((p) => [p.weight, p.gpuSeconds])).toEqual([
      [{ numerator: 1, denominator: 4 }, 900],
    ]);
    expect(metered.nodes.map((n) => [n.gpus, n.capacityGpuSeconds])).toEqual([[8, 8 * 86_400]]);
    expect(metered.warnings.filter((w) => w.includes('dgx'))).toEqual([]);
  });

  it('passes the catalog as plain GPU facts, without prices', () => {
    const config = configWith({
      instanceTypes: { 'g5.12xlarge': G5 },
      byCluster: { onprem: { instanceTypes: { dgx: DGX } } },
    });
    const options = meterOptionsFor(config, day);
    expect([options.instanceTypes, options.instanceTypesByCluster]).toEqual([
      { 'g5.12xlarge': { gpus: 4, gpuModel: 'A10G' } },
      { onprem: { dgx: { gpus: 8, gpuModel: 'A100' } } },
    ]);
  });
});

describe('meteringKey', () => {
  it("changes when a cluster's catalog changes a GPU count or model, so partials are re-metered", () => {
    const key = (dgx: typeof DGX) =>
      meteringKey(configWith({ byCluster: { onprem: { instanceTypes: { dgx } } } }), []);
    expect(key(DGX)).not.toBe(key({ ...DGX, gpus: 4 }));
    expect(key(DGX)).not.toBe(key({ ...DGX, gpuModel: 'H100' }));
    expect(key(DGX)).toBe(key({ ...DGX, onDemand: 25 }));
  });

  describe('edge cases', () => {
    it('keeps the key of a config without per-cluster catalogs (stored partials stay valid)', () => {
      const g5x = { gpus: 1, gpuModel: 'A10G', onDemand: 1 };
      expect(meteringKey(parseConfig({ pricing: { instanceTypes: { 'g5.xlarge': g5x } } }), [])).toBe(
        'cd41fce2d2f7eeae',
      );
      expect(meteringKey(parseConfig({}), [1000])).toBe('49a03cbe64ec1b5e');
    });
  });
});
