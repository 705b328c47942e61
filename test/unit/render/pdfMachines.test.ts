import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Summary } from '../../../src/core/types.ts';
import { renderPdf } from '../../../src/render/pdf/renderPdf.ts';
import { realisticSummary } from '../../support/summaryFixture.ts';

const hasPoppler = !spawnSync('pdftotext', ['-v']).error;

/** The realistic fixture reconciled against its machines, with idle by reason (#14). */
function withMachines(): Summary {
  const summary = realisticSummary();
  summary.reconciliation = {
    ...summary.reconciliation,
    machines: {
      nodeHours: 7440,
      gpuHours: 35712,
      cost: summary.reconciliation.capacityCost,
      difference: '0.00',
    },
    allocatedCost: '150000.00',
    idle: {
      cost: '40662.84',
      byReason: {
        unallocated: { gpuHours: 9000, cost: '30000.00' },
        'mig-unpartitioned': { gpuHours: 300, cost: '1000.00' },
        'not-advertised': { gpuHours: 2900, cost: '9662.84' },
        'unknown-resource': { gpuHours: 0, cost: '0.00' },
      },
    },
  };
  return summary;
}

async function methodPageText(summary: Summary, language: 'en' | 'ko'): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'pdf-machines-'));
  try {
    const file = join(dir, 'report.pdf');
    writeFileSync(file, await renderPdf(summary, null, { language, baselinePercentile: 50 }));
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    return text.split('\f').slice(0, -1).at(-1)!.replace(/\s+/g, ' ');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!hasPoppler)('the method page against the machines', () => {
  it('states machine cost = node-hours × price = charges, and idle by reason', async () => {
    const text = await methodPageText(withMachines(), 'en');
    expect(text).toContain(
      'Machines: 7,440.0 node-hours, 35,712.0 physical GPU-hours = $190,662.84 (sum of node-hours × price); held by pods $150,000.00, idle $40,662.84; difference to the charges $0.00.',
    );
    expect(text).toContain(
      'Idle by reason: unallocated $30,000.00 · MIG slices not partitioned $1,000.00 · GPUs not advertised $9,662.84 · unknown resource $0.00.',
    );
    expect(text).toContain('Charges reconcile to the capacity cost.');
  });

  it('says the charges do not reconcile when they differ from the machines', async () => {
    const summary = withMachines();
    summary.reconciliation.machines!.difference = '12.00';
    expect(await methodPageText(summary, 'en')).toContain(
      'Charges do not reconcile to the capacity cost; see the difference.',
    );
  });

  it('words the idle reasons in Korean', async () => {
    expect(await methodPageText(withMachines(), 'ko')).toContain('유휴 사유: 미할당');
  });
});
