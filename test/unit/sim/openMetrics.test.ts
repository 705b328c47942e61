import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { billingPeriod } from '../../../src/core/period.ts';
import { escapeLabelValue, groundTruth, simulate, writeOpenMetrics } from '../../../src/sim/index.ts';
import type { ExplicitSimulateOptions } from '../../../src/sim/model.ts';
import { makeTempDir } from '../../support/tmp.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});
const tempDir = async () => {
  const t = await makeTempDir();
  cleanups.push(t.cleanup);
  return t.dir;
};
const edge = () =>
  simulate({ preset: 'edge-cases', month: '2026-03', zone: 'America/New_York', seed: 7, days: 2 });

/** The edge-cases preset written once and parsed once for the read-only tests. */
let fixture: { sim: ReturnType<typeof edge>; files: string[]; parsed: ReturnType<typeof parseOpenMetrics>[] };
beforeAll(async () => {
  const t = await makeTempDir();
  afterAllCleanups.push(t.cleanup);
  const sim = edge();
  const files = await writeOpenMetrics(sim, t.dir);
  fixture = {
    sim,
    files,
    parsed: await Promise.all(files.map(async (f) => parseOpenMetrics(await readFile(f, 'utf8')))),
  };
});
const afterAllCleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of afterAllCleanups) await c();
});

interface ParsedSample {
  family: string;
  labels: Record<string, string>;
  key: string;
  value: number;
  tMs: number;
}

/** A strict reader of the subset of OpenMetrics the writer produces. */
function parseOpenMetrics(text: string): { samples: ParsedSample[]; families: string[]; eof: boolean } {
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('file must end with a newline');
  const samples: ParsedSample[] = [];
  const families: string[] = [];
  let eof = false;
  for (const line of lines) {
    if (eof) throw new Error('nothing may follow # EOF');
    if (line === '# EOF') {
      eof = true;
      continue;
    }
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) gauge$/.exec(line);
    if (type) {
      families.push(type[1]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+) (\d+(?:\.\d{1,3})?)$/.exec(line);
    if (!m) throw new Error(`malformed line: ${line}`);
    const labels: Record<string, string> = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/gy;
    let consumed = 0;
    for (let l = re.exec(m[2]!); l; l = re.exec(m[2]!)) {
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      consumed = re.lastIndex;
    }
    if (consumed !== m[2]!.length) throw new Error(`malformed labels: ${line}`);
    if (m[1] !== families[families.length - 1]) throw new Error(`sample outside its family: ${line}`);
    samples.push({
      family: m[1]!,
      labels,
      key: `${m[1]}{${m[2]}}`,
      value: Number(m[3]),
      tMs: Math.round(Number(m[4]) * 1000),
    });
  }
  return { samples, families, eof };
}

describe('writeOpenMetrics', () => {
  it('writes byte-identical files for the same seed', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const filesA = await writeOpenMetrics(edge(), a);
    const filesB = await writeOpenMetrics(edge(), b);
    expect(filesA.map((f) => basename(f))).toEqual(filesB.map((f) => basename(f)));
    for (let i = 0; i < filesA.length; i++) {
      expect((await readFile(filesA[i]!)).equals(await readFile(filesB[i]!))).toBe(true);
    }
  });

  it('writes identical ground truth for the same seed', () => {
    const period = billingPeriod('2026-03', 'America/New_York');
    expect(JSON.stringify(groundTruth(edge(), period))).toBe(JSON.stringify(groundTruth(edge(), period)));
  });

  it('writes one file per UTC day, each ending in # EOF', async () => {
    const { files } = fixture;
    // 2026-03-01T05:00Z .. 2026-03-03T05:00Z spans three UTC dates.
    expect(files.map((f) => basename(f))).toEqual([
      'metrics-2026-03-01.om',
      'metrics-2026-03-02.om',
      'metrics-2026-03-03.om',
    ]);
    for (const f of files) expect((await readFile(f, 'utf8')).endsWith('\n# EOF\n')).toBe(true);
  });

  it('keeps families contiguous and every series in strictly increasing time order', async () => {
    const { samples, families, eof } = fixture.parsed[1]!;
    expect(eof).toBe(true);
    expect(new Set(families).size).toBe(families.length);
    const last = new Map<string, number>();
    const finished = new Set<string>();
    const violations: string[] = [];
    let previous = '';
    for (const s of samples) {
      if (s.key !== previous) {
        if (finished.has(s.key)) violations.push(`series ${s.key} is split`);
        if (previous) finished.add(previous);
        previous = s.key;
      }
      if (s.tMs <= (last.get(s.key) ?? Number.NEGATIVE_INFINITY))
        violations.push(`${s.key} goes back in time at ${s.tMs}`);
      last.set(s.key, s.tMs);
    }
    expect(violations).toEqual([]);
    expect(samples.length).toBeGreaterThan(10_000);
  });

  it('writes samples only inside the simulated range and outside outages', async () => {
    const { sim } = fixture;
    const all = fixture.parsed.flatMap((p) => p.samples);
    const outage = sim.outages[0]!;
    expect(all.every((s) => s.tMs >= sim.range.startMs && s.tMs < sim.range.endMs)).toBe(true);
    expect(all.some((s) => s.tMs >= outage.startMs && s.tMs < outage.endMs)).toBe(false);
  });

  it('labels DCGM series of the exported node group with exported_pod and the exporter pod as pod', async () => {
    const { samples } = fixture.parsed[0]!;
    const t4 = samples.filter(
      (s) => s.labels.Hostname === 'edge-g4dn-exported' && s.labels.exported_pod === 't4-exported-labels',
    );
    expect(t4.length).toBeGreaterThan(0);
    expect(t4[0]!.labels.pod).toMatch(/^nvidia-dcgm-exporter-/);
    expect(t4[0]!.labels.exported_namespace).toBe('pod-labeled-ns');
    expect(new Set(t4.map((s) => s.family))).toEqual(
      new Set(['DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_FB_USED']),
    );
  });

  it('gives MIG instances GR_ENGINE_ACTIVE but no GPU_UTIL', async () => {
    const { samples } = fixture.parsed[0]!;
    const mig = samples.filter((s) => s.labels.Hostname === 'edge-p4d-mig');
    expect(new Set(mig.map((s) => s.family))).toEqual(
      new Set(['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'DCGM_FI_DEV_FB_USED']),
    );
    expect(mig.every((s) => s.labels.GPU_I_PROFILE !== undefined)).toBe(true);
  });

  it('shows pod labels on a GPU only while the pod is Running', async () => {
    const { sim } = fixture;
    const pod = sim.pods.find((p) => p.uid === sim.cases['image-pull-25min'])!;
    const { samples } = fixture.parsed[0]!;
    const labelled = samples.filter((s) => s.family === 'DCGM_FI_DEV_GPU_UTIL' && s.labels.pod === pod.name);
    expect(labelled.length).toBeGreaterThan(0);
    expect(Math.min(...labelled.map((s) => s.tMs))).toBeGreaterThanOrEqual(pod.runningMs!);
  });

  describe('edge cases', () => {
    it('escapes backslashes, double quotes and newlines in label values', async () => {
      const nasty = 'a"b\\c\nd';
      const options: ExplicitSimulateOptions = {
        seed: 1,
        zone: 'UTC',
        range: { startMs: 0, endMs: 120_000 },
        nodes: [],
        namespaces: [{ name: 'ns', labels: { team: nasty } }],
        pods: [],
      };
      const dir = await tempDir();
      const [file] = await writeOpenMetrics(simulate(options), dir);
      const text = await readFile(file!, 'utf8');
      expect(text).toContain('label_team="a\\"b\\\\c\\nd"');
      const { samples } = parseOpenMetrics(text);
      expect(samples.map((s) => s.labels.label_team)).toEqual([nasty, nasty]);
    });

    it('escapes the three special characters and nothing else', () => {
      expect(escapeLabelValue('plain ünïcode/🙂')).toBe('plain ünïcode/🙂');
      expect(escapeLabelValue('\\"\n')).toBe('\\\\\\"\\n');
    });

    it('writes timestamps in seconds with milliseconds when the scrape offset has them', async () => {
      const options: ExplicitSimulateOptions = {
        seed: 1,
        zone: 'UTC',
        range: { startMs: 0, endMs: 60_000 },
        scrape: { ksmOffsetMs: 1_234 },
        nodes: [],
        namespaces: [{ name: 'ns', labels: {} }],
        pods: [],
      };
      const dir = await tempDir();
      const [file] = await writeOpenMetrics(simulate(options), dir);
      expect(await readFile(file!, 'utf8')).toContain('} 1 1.234\n');
    });
  });
});
