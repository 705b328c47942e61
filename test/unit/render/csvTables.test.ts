import { describe, expect, it } from 'vitest';
import { billingPeriod } from '../../../src/core/period.ts';
import { NODES_COLUMNS, nodesCsvChunks, USAGE_COLUMNS, usageCsvChunks } from '../../../src/render/tables.ts';
import { readCsvRecords } from '../../support/csv.ts';
import { meteredDay, nodeUsage, podUsage, wholeDay } from '../../support/meteredFixture.ts';

// The product only ever streams these files; the tests read them whole.
const renderUsageCsv = (...args: Parameters<typeof usageCsvChunks>) => [...usageCsvChunks(...args)].join('');
const renderNodesCsv = (...args: Parameters<typeof nodesCsvChunks>) => [...nodesCsvChunks(...args)].join('');

const period = billingPeriod('2026-03', 'UTC');
const day = period.days[0]!;
const cp = wholeDay(day);

describe('usage.csv and nodes.csv', () => {
  const pods = [
    podUsage(cp, {
      pod: { namespace: 'ml', pod: 'b', uid: 'ub' },
      weight: { numerator: 3, denominator: 7 },
      heldSeconds: 7 * 3600,
      bridgedSeconds: 60,
      utilization: 0.25,
    }),
    podUsage(cp, { pod: { namespace: '-neg', pod: 'a', uid: 'ua' }, utilization: null }),
  ];
  const nodes = [nodeUsage(cp, { capacityGpuSeconds: 3600, idleGpuSeconds: -1800 }, pods)];
  const days = [meteredDay(day, pods, nodes)];

  it('writes usage per pod and charge period, sorted, with weights, bridged seconds and utilization', () => {
    const lines = renderUsageCsv(days, 'UTC').split('\r\n');
    expect(lines[0]).toBe(USAGE_COLUMNS.join(','));
    expect(lines[1]).toBe(
      "2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,,ml,vision,pod-label,'-neg,a,ua,node-a,nvidia_com_gpu,1,1/1,1,Running,86400,0,86400,24,,DCGM_FI_PROF_GR_ENGINE_ACTIVE",
    );
    expect(lines[2]).toBe(
      '2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,,ml,vision,pod-label,ml,b,ub,node-a,nvidia_com_gpu,1,3/7,0.428571,Running,25200,60,10800,3,25,DCGM_FI_PROF_GR_ENGINE_ACTIVE',
    );
    expect(lines[3]).toBe('');
  });

  it('writes nodes per charge period and keeps a negative idle a number', () => {
    const lines = renderNodesCsv(days, 'UTC').split('\r\n');
    expect(lines[0]).toBe(NODES_COLUMNS.join(','));
    expect(lines[1]).toBe(
      '2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,,node-a,g4dn.xlarge,on-demand,1,86400,1,27,-0.5,,,-0.5,0,0,0',
    );
  });

  it('writes the GPU model, the source of the GPU count and idle hours by reason of each node', () => {
    const node = nodeUsage(cp, {
      node: 'dgx',
      instanceType: 'unknown',
      gpus: 8,
      gpuModel: 'A100-SXM4-40GB',
      gpuSource: 'gfd',
    });
    node.idleByReason = {
      unallocated: 3600,
      'mig-unpartitioned': 1800,
      'not-advertised': 7200,
      'unknown-resource': 0,
    };
    const lines = renderNodesCsv([meteredDay(day, [], [node])], 'UTC').split('\r\n');
    expect(lines[1]).toBe(
      '2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,,dgx,unknown,on-demand,8,86400,192,0,192,A100-SXM4-40GB,gfd,1,0.5,2,0',
    );
  });

  it('writes every numeric nodes.csv column as a number: a negative value gains no formula quote, text does', () => {
    // A hostile GPU model label (GFD gpu.product) and negative hours in every numeric column.
    const node = nodeUsage(cp, {
      node: '=cmd',
      gpus: 2,
      capacityGpuSeconds: -3600,
      allocatedGpuSeconds: -7200,
      idleGpuSeconds: -1800,
      gpuModel: '-A100',
      gpuSource: 'gfd',
    });
    node.idleByReason = {
      unallocated: -3600,
      'mig-unpartitioned': -1800,
      'not-advertised': -7200,
      'unknown-resource': -900,
    };
    const [header, record] = readCsvRecords(renderNodesCsv([meteredDay(day, [], [node])], 'UTC'));
    const cells = Object.fromEntries(header!.map((name, i) => [name, record![i]]));
    expect(cells).toMatchObject({
      ResourceId: "'=cmd",
      x_GpuModel: "'-A100",
      x_GpuCountSource: 'gfd',
      x_CapacityGpuHours: '-1',
      x_AllocatedGpuHours: '-2',
      x_IdleGpuHours: '-0.5',
      x_IdleUnallocatedGpuHours: '-1',
      x_IdleMigUnpartitionedGpuHours: '-0.5',
      x_IdleNotAdvertisedGpuHours: '-2',
      x_IdleUnknownResourceGpuHours: '-0.25',
    });
  });

  it('renders identical bytes for identical input', () => {
    expect(renderUsageCsv(structuredClone(days), 'UTC')).toBe(renderUsageCsv(days, 'UTC'));
  });
});
