import { describe, expect, it } from 'vitest';
import { effectiveRequests } from '../../../src/core/metering/index.ts';

describe('effectiveRequests', () => {
  it('sums the requests of the containers per resource, in the order the resources were seen', () => {
    const requests = new Map([
      ['nvidia_com_mig_1g_5gb', new Map([['sidecar', 1]])],
      [
        'nvidia_com_gpu',
        new Map([
          ['train', 2],
          ['eval', 1],
        ]),
      ],
    ]);
    expect(effectiveRequests({ requests })).toEqual([
      { resource: 'nvidia_com_mig_1g_5gb', requested: 1 },
      { resource: 'nvidia_com_gpu', requested: 3 },
    ]);
  });

  it('takes max(largest init container, app containers + restartable init containers) per resource', () => {
    const requests = new Map([['nvidia_com_gpu', new Map([['app', 1]])]]);
    const initRequests = new Map([
      [
        'nvidia_com_gpu',
        new Map([
          ['sidecar', 1],
          ['warmup', 3],
        ]),
      ],
      ['nvidia_com_mig_1g_5gb', new Map([['setup', 1]])],
    ]);
    expect(effectiveRequests({ requests, initRequests, sidecars: new Set(['sidecar']) })).toEqual([
      { resource: 'nvidia_com_gpu', requested: 3 },
      { resource: 'nvidia_com_mig_1g_5gb', requested: 1 },
    ]);
    expect(
      effectiveRequests({
        requests,
        initRequests: new Map([['nvidia_com_gpu', new Map([['sidecar', 1]])]]),
        sidecars: new Set(['sidecar']),
      }),
    ).toEqual([{ resource: 'nvidia_com_gpu', requested: 2 }]);
  });

  describe('edge cases', () => {
    it('is empty for a pod without GPU requests', () => {
      expect(effectiveRequests({ requests: new Map() })).toEqual([]);
    });
  });
});
