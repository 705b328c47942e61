/**
 * Where Prometheus' CPU goes for one metered day, whole against shards (issue #18): replays the query
 * requests `bench/day.ts --dump-requests <prefix>` captured (one JSON file per invocation:
 * `<prefix>-<count>-<index>.json`), alone on a Prometheus of the same cached TSDB, alternating the whole
 * day's requests and all the shards' requests, and takes a CPU profile of Prometheus (Go's
 * `/debug/pprof/profile`, which Prometheus serves) while each kind is replayed over and over for
 * `--seconds`. Prints, per kind, the Prometheus CPU-seconds of one pass (from /proc, over the complete
 * passes) and how that CPU divides between what the profile shows: parsing the query (mostly compiling
 * regex matchers: `labels.NewFastRegexMatcher`), evaluating it (`promql.(*query).Exec`), encoding the
 * answer as JSON (`v1.(*API).respond`), Go's garbage collector, and the rest. The profile is decoded
 * here (profile.proto: github.com/google/pprof/proto/profile.proto) so nothing but Node is needed; the
 * raw profiles are kept with `--out DIR` for `go tool pprof`.
 *
 *   node --import tsx bench/day.ts --sizes 1024 --shards 2 --whole --dump-requests /tmp/d1024
 *   node --import tsx bench/promProfile.ts --requests /tmp/d1024 --seconds 20 --rounds 2
 *   node --import tsx bench/promProfile.ts --requests /tmp/a --against /tmp/b   # two dumps' shards, A/B
 *
 * With `--by-shape <file>` (one dump: `bench/small.ts --dump-requests <file>`, or one file of bench/day.ts'),
 * each query shape's requests (bench/lib/util.ts queryShape: the query with its regexes elided) are replayed
 * alone, one at a time, `--rounds` times (default 3), and the median Prometheus CPU-seconds of each shape is
 * printed, largest first: what each query costs Prometheus without the others in flight.
 *
 *   node --import tsx bench/small.ts --gpus 24 --runs 1 --dump-requests /tmp/m24.json
 *   node --import tsx bench/promProfile.ts --by-shape /tmp/m24.json
 */
import { readdir, readFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { startPrometheusWithData } from '../test/support/prometheus.ts';
import type { ProxiedRequest } from './lib/proxy.ts';
import { machineLine, procCpuSeconds, queryShape, replayRequest, table } from './lib/util.ts';

/** One invocation's captured requests, as bench/day.ts --dump-requests writes them. */
interface Dumped {
  cacheKey: string;
  requests: ProxiedRequest[];
}

/** What a CPU sample is counted as: the first of these functions found on its stack, leaf first. */
const CATEGORIES: [string, RegExp][] = [
  ['parse (regex matchers)', /labels\.NewFastRegexMatcher|regexp\.(Compile|compile)/],
  ['parse (rest)', /promql\.\(\*Engine\)\.New(Instant|Range)Query|parser\.ParseExpr/],
  ['evaluate', /promql\.\(\*query\)\.Exec/],
  ['encode JSON', /v1\.\(\*API\)\.respond/],
  ['garbage collector', /runtime\.gcBgMarkWorker|runtime\.gcDrain|runtime\.bgsweep|runtime\.bgscavenge/],
];

/** Seconds of CPU per category of a gzipped pprof CPU profile, and in all. */
export function categorize(gz: Buffer): { total: number; byCategory: Map<string, number> } {
  const r = protobuf.Reader.create(gunzipSync(gz));
  const strings: string[] = [];
  const functionName = new Map<number, number>(); // function id -> string index
  const locationFunctions = new Map<number, number[]>(); // location id -> function ids, leaf first
  const samples: { locations: number[]; values: number[] }[] = [];
  const sampleTypes: number[] = [];
  const varints = (reader: protobuf.Reader, wire: number, into: number[]) => {
    if (wire === 2) {
      const end = reader.uint32() + reader.pos;
      while (reader.pos < end) into.push(Number(reader.uint64()));
    } else into.push(Number(reader.uint64()));
  };
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1) {
      const end = r.uint32() + r.pos;
      while (r.pos < end) {
        const t = r.uint32();
        if (t >>> 3 === 1) sampleTypes.push(Number(r.int64()));
        else r.skipType(t & 7);
      }
    } else if (field === 2) {
      const end = r.uint32() + r.pos;
      const locations: number[] = [];
      const values: number[] = [];
      while (r.pos < end) {
        const t = r.uint32();
        if (t >>> 3 === 1) varints(r, t & 7, locations);
        else if (t >>> 3 === 2) varints(r, t & 7, values);
        else r.skipType(t & 7);
      }
      samples.push({ locations, values });
    } else if (field === 4) {
      const end = r.uint32() + r.pos;
      let id = 0;
      const functions: number[] = [];
      while (r.pos < end) {
        const t = r.uint32();
        if (t >>> 3 === 1) id = Number(r.uint64());
        else if (t >>> 3 === 4) {
          const lineEnd = r.uint32() + r.pos;
          while (r.pos < lineEnd) {
            const u = r.uint32();
            if (u >>> 3 === 1) functions.push(Number(r.uint64()));
            else r.skipType(u & 7);
          }
        } else r.skipType(t & 7);
      }
      locationFunctions.set(id, functions.reverse()); // pprof lists inlined callees last: leaf first
    } else if (field === 5) {
      const end = r.uint32() + r.pos;
      let id = 0;
      let name = 0;
      while (r.pos < end) {
        const t = r.uint32();
        if (t >>> 3 === 1) id = Number(r.uint64());
        else if (t >>> 3 === 2) name = Number(r.int64());
        else r.skipType(t & 7);
      }
      functionName.set(id, name);
    } else if (field === 6) strings.push(r.string());
    else r.skipType(tag & 7);
  }
  // The "cpu" (nanoseconds) value of each sample.
  const valueIndex = sampleTypes.findIndex((s) => strings[s] === 'cpu');
  if (valueIndex < 0) throw new Error('not a CPU profile (no "cpu" sample type)');
  const byCategory = new Map<string, number>(CATEGORIES.map(([name]) => [name, 0]));
  byCategory.set('rest', 0);
  let total = 0;
  for (const sample of samples) {
    const seconds = (sample.values[valueIndex] ?? 0) / 1e9;
    total += seconds;
    const names = sample.locations.flatMap((l) =>
      (locationFunctions.get(l) ?? []).map((f) => strings[functionName.get(f) ?? 0] ?? ''),
    );
    const category = CATEGORIES.find(([, pattern]) => names.some((n) => pattern.test(n)))?.[0] ?? 'rest';
    byCategory.set(category, byCategory.get(category)! + seconds);
  }
  return { total, byCategory };
}

/** `--by-shape`: the median Prometheus CPU-seconds of each query shape's requests replayed alone. */
async function byShape(file: string, rounds: number): Promise<void> {
  const dumped = JSON.parse(await readFile(file, 'utf8')) as Dumped;
  const shapes = new Map<string, ProxiedRequest[]>();
  for (const r of dumped.requests) {
    const shape = queryShape(r);
    shapes.set(shape, [...(shapes.get(shape) ?? []), r]);
  }
  const prometheus = await startPrometheusWithData([], { cacheKey: dumped.cacheKey });
  try {
    for (const r of dumped.requests) await replayRequest(prometheus.url, r); // warm
    const rows: { shape: string; n: number; cpu: number }[] = [];
    for (const [shape, requests] of shapes) {
      const cpu: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const cpu0 = await procCpuSeconds(prometheus.pid);
        for (const r of requests) await replayRequest(prometheus.url, r);
        cpu.push((await procCpuSeconds(prometheus.pid)) - cpu0);
      }
      cpu.sort((a, b) => a - b);
      rows.push({ shape, n: requests.length, cpu: cpu[Math.floor(cpu.length / 2)]! });
    }
    rows.sort((a, b) => b.cpu - a.cpu);
    const total = rows.reduce((sum, r) => sum + r.cpu, 0);
    console.log(machineLine());
    console.log(
      `${dumped.requests.length} requests of ${file} (${dumped.cacheKey}), each shape's replayed alone, one ` +
        `at a time; median of ${rounds}: ${total.toFixed(2)} Prometheus CPU-s in all`,
    );
    console.log(
      table(
        ['CPU s', 'share', 'requests', 'query shape'],
        rows.map((r) => [
          r.cpu.toFixed(2),
          `${((r.cpu / Math.max(total, 1e-9)) * 100).toFixed(1)} %`,
          r.n,
          r.shape.slice(0, 140),
        ]),
      ),
    );
  } finally {
    await prometheus.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'by-shape': { type: 'string' },
      requests: { type: 'string' },
      seconds: { type: 'string', default: '20' },
      rounds: { type: 'string' },
      out: { type: 'string' },
      against: { type: 'string' },
    },
  });
  if (values['by-shape']) return byShape(values['by-shape'], Number(values.rounds ?? 3));
  if (!values.requests)
    throw new Error('--requests <prefix> (from bench/day.ts --dump-requests) is required');
  const prefix = values.requests;
  const files = (await readdir(dirname(prefix)))
    .filter((f) => f.startsWith(`${basename(prefix)}-`) && f.endsWith('.json'))
    .sort();
  const dumped = await Promise.all(
    files.map(async (f) => ({
      file: f,
      ...(JSON.parse(await readFile(join(dirname(prefix), f), 'utf8')) as Dumped),
    })),
  );
  const whole = dumped.filter((d) => d.file.startsWith(`${basename(prefix)}-1-`));
  const shards = dumped.filter((d) => !d.file.startsWith(`${basename(prefix)}-1-`));
  if ((whole.length !== 1 && !values.against) || shards.length < 2)
    throw new Error(
      `expected one whole-day file and 2+ shard files with prefix ${prefix}; found ${files.join(', ')}`,
    );
  // --against <prefix>: the shards of a second dump (another commit's or setting's) instead of the whole day.
  const against = values.against
    ? await Promise.all(
        (await readdir(dirname(values.against)))
          .filter((f) => f.startsWith(`${basename(values.against!)}-`) && f.endsWith('.json'))
          .filter((f) => !f.startsWith(`${basename(values.against!)}-1-`))
          .sort()
          .map(async (f) => JSON.parse(await readFile(join(dirname(values.against!), f), 'utf8')) as Dumped),
      )
    : undefined;
  if (against && against.length < 2) throw new Error(`expected 2+ shard files with prefix ${values.against}`);
  const kinds: (readonly [string, Dumped[]])[] = against
    ? [
        [`${shards.length} shards (${basename(prefix)})`, shards],
        [`${against.length} shards (${basename(values.against!)})`, against],
      ]
    : [
        ['whole day', whole],
        [`${shards.length} shards`, shards],
      ];
  const prometheus = await startPrometheusWithData([], { cacheKey: (whole[0] ?? shards[0]!).cacheKey });
  const send = (r: ProxiedRequest) => replayRequest(prometheus.url, r);
  const pass = async (sets: Dumped[]) => {
    for (const s of sets) for (const r of s.requests) await send(r);
  };
  try {
    for (const [, sets] of kinds) await pass(sets); // warm each
    const seconds = Number(values.seconds);
    const rows: (string | number)[][] = [];
    for (let round = 0; round < Number(values.rounds ?? 2); round++) {
      for (const [kind, sets] of kinds) {
        const profile = fetch(`${prometheus.url}/debug/pprof/profile?seconds=${seconds}`).then((res) =>
          res.arrayBuffer(),
        );
        const started = Date.now();
        const cpu0 = await procCpuSeconds(prometheus.pid);
        let passes = 0;
        // Complete passes well inside the profile's window; the profile covers them and some idle time.
        while (Date.now() - started < (seconds - 2) * 1000 * 0.75) {
          await pass(sets);
          passes++;
        }
        const cpu = (await procCpuSeconds(prometheus.pid)) - cpu0;
        const raw = Buffer.from(await profile);
        if (values.out) {
          await mkdir(values.out, { recursive: true });
          await writeFile(join(values.out, `${kind.replace(/ /g, '-')}-${round + 1}.pb.gz`), raw);
        }
        const { total, byCategory } = categorize(raw);
        const perPass = cpu / passes;
        // The profile's shares, applied to the CPU of one pass (the profile's total ≈ /proc's CPU of its window).
        rows.push([
          kind,
          round + 1,
          passes,
          perPass.toFixed(2),
          ...[...byCategory.values()].map((s) => ((s / total) * perPass).toFixed(2)),
        ]);
      }
    }
    console.log(machineLine());
    console.log(
      `Prometheus CPU-s per pass of each kind's requests (${files.join(', ')}), split by its CPU profile:`,
    );
    console.log(
      table(['kind', 'round', 'passes', 'CPU s / pass', ...CATEGORIES.map(([n]) => n), 'rest'], rows),
    );
  } finally {
    await prometheus.stop();
  }
}

await main();
